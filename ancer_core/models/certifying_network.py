"""The one decision a precision makes for a model: which network CERTIFY samples (the model itself, run
in fp32 or under bf16/fp16 autocast, or its calibrated int8 network), how CERTIFY batches and casts, and
the optimizers' autocast. The command line, the app, the lecture preparation, the scripts and the
benchmarks ask :func:`certifying` rather than compare precision names themselves.

A certificate is a statement about the network *as run*; the optimizers' precision never affects
soundness (θ only has to be fixed before CERTIFY samples).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..core.precision import (
    SamplingConfig,
    autocast_dtype,
    certify_config,
    check_precisions,
    default_optimizer_precision,
)
from .quantized import load_int8

INT8 = "int8"  # the precision that samples another network: the model's calibrated int8 version


@dataclass(frozen=True)
class Certifying:
    """What a precision decides for a model (:func:`certifying`)."""

    precision: str  # CERTIFY's: fp32, bf16, fp16 or int8
    optimizer_precision: str  # the optimizers': fp32, bf16 or fp16
    network: torch.nn.Module | None  # the network CERTIFY samples instead of the model (int8), or None
    config: SamplingConfig

    @property
    def optimizer_autocast(self) -> torch.dtype | None:
        return autocast_dtype(self.optimizer_precision)

    def sampled(self, model: torch.nn.Module) -> torch.nn.Module:
        """The network CERTIFY and PREDICT sample, given the model the optimizers differentiate."""
        return model if self.network is None else self.network

    def run_options(self) -> dict:
        """The keyword arguments of ``run_all_methods`` and ``warm_up`` that this decision sets."""
        return {"config": self.config, "certify_model": self.network, "optimizer_autocast": self.optimizer_autocast}


def certifying(
    name: str,
    precision: str,
    optimizer_precision: str | None = None,
    device: torch.device | str = "cpu",
    *,
    load: Callable[[str], torch.nn.Module] = load_int8,
    **config_options,
) -> Certifying:
    """The decision for model ``name`` (shipped name or checkpoint path) at CERTIFY's ``precision``: what
    ``device`` cannot run is refused with a message; the optimizers' precision defaults to
    :func:`~ancer_core.core.precision.default_optimizer_precision`; ``load``: how the int8 network is loaded
    (a cached loader in a server); ``config_options``: the rest of :class:`SamplingConfig`."""
    opt = optimizer_precision or default_optimizer_precision(precision, device)
    check_precisions(precision, opt, device)
    network = load(name) if precision == INT8 else None
    return Certifying(precision, opt, network, certify_config(precision, **config_options))
