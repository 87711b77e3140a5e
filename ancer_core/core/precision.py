"""How the network runs: the device when none is named, and the precisions of CERTIFY and of the
optimizers (docs/performance.md). One home for these rules: the command line, the app, the results
scripts and the benchmarks all ask here.

A certificate is a statement about the network *as run*: bf16/fp16 autocast or the calibrated int8
network certify that network. The optimizers' precision never affects soundness (θ only has to be
fixed before CERTIFY samples).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import AncerInputError
from .validation import check_count

# CERTIFY's precisions → autocast dtype (int8 runs the model's calibrated int8 network, no autocast)
PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16, "int8": None}
OPTIMIZER_PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass(frozen=True)
class SamplingConfig:
    """How CERTIFY and PREDICT run the network on noise samples. ``noise_batch`` samples per image per
    draw (this fixes the random stream, like the original's batch of 1,000); ``max_batch`` noisy images
    per forward pass (memory; halved automatically on out-of-memory); optional autocast dtype for the
    forward passes (the certified base classifier is then the network *as run* in that precision) and
    the channels-last layout."""

    noise_batch: int = 1000
    max_batch: int | str = "auto"
    autocast_dtype: torch.dtype | None = None
    channels_last: bool = False

    def __post_init__(self):
        object.__setattr__(self, "noise_batch", check_count("noise_batch", self.noise_batch))
        if self.max_batch != "auto":
            object.__setattr__(self, "max_batch", check_count("max_batch", self.max_batch))


def autocast(device: torch.device | str, dtype: torch.dtype | None):
    """The context every reduced-precision pass runs in — CERTIFY's, the optimizers', training's, the
    benchmarks': ``torch.autocast`` to ``dtype`` on ``device``'s type; nothing for None (fp32, or a
    network that is int8 already)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


def check_precisions(precision: str, optimizer_precision: str, device: torch.device | str) -> None:
    """Refuses what ``device`` cannot run: fp16 autocast needs a CUDA GPU (on a CPU it is emulated and
    slower than fp32), the int8 network PyTorch's x86 CPU kernels."""
    if precision not in PRECISIONS:
        raise AncerInputError(f"precision={precision!r}; use one of {', '.join(PRECISIONS)}")
    if optimizer_precision not in OPTIMIZER_PRECISIONS:
        raise AncerInputError(
            f"optimizer precision {optimizer_precision!r}; use one of {', '.join(OPTIMIZER_PRECISIONS)}"
        )
    kind = torch.device(device).type
    if "fp16" in (precision, optimizer_precision) and kind != "cuda":
        raise AncerInputError(
            "precision fp16 needs a CUDA device; on a CPU use fp32 or bf16 (see docs/performance.md for which "
            "is faster on which CPU)"
        )
    if precision == "int8" and kind != "cpu":
        raise AncerInputError("precision int8 runs on the CPU (PyTorch's x86 quantized kernels); use the CPU device")


def offered_precisions(device: torch.device | str, int8_ready: bool) -> list[str]:
    """The CERTIFY precisions ``device`` runs well, in this order: fp32 always; on a CPU, bf16 where it
    has native bf16 units and int8 where the model has a calibration (``int8_ready``:
    :func:`ancer_core.models.int8_ready`)."""
    out = ["fp32"]
    if torch.device(device).type == "cpu":
        if native_bf16(device):
            out.append("bf16")
        if int8_ready:
            out.append("int8")
    return out


def default_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype of a precision (None: run as stored, fp32 or the int8 network)."""
    return PRECISIONS[precision]


def certify_config(precision: str, channels_last: bool = False, **options) -> SamplingConfig:
    """CERTIFY's sampling configuration for ``precision``: its autocast, and channels-last for int8
    (the layout the x86 int8 kernels are fast in); ``options``: the rest of :class:`SamplingConfig`."""
    return SamplingConfig(
        autocast_dtype=autocast_dtype(precision), channels_last=channels_last or precision == "int8", **options
    )


def cpuinfo(field: str) -> str | None:
    """The first value of ``field`` in Linux's ``/proc/cpuinfo`` ("flags", "model name"); None where
    it cannot be read (another OS)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == field:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_features() -> dict[str, bool]:
    """The CPU's vector and matrix extensions that decide which precision is fast (the ``flags`` of
    :func:`cpuinfo`; all False where they cannot be read)."""
    flags = set((cpuinfo("flags") or "").split())
    names = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {n: n in flags for n in names}


def native_bf16(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` computes in bf16 natively: a CUDA GPU that supports it, or a CPU with
    AVX-512 bf16 or AMX (elsewhere bf16 is emulated and slower than fp32)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_bf16_supported()
    feats = cpu_features()
    return feats["avx512_bf16"] or feats["amx_bf16"]


def default_optimizer_precision(precision: str, device: str | torch.device = "cpu") -> str:
    """The optimizers' precision when not chosen: CERTIFY's autocast (bf16, fp16); fp32 beside fp32
    CERTIFY; beside the int8 network, bf16 where ``device`` runs it natively, else fp32."""
    if precision == "int8":
        return "bf16" if native_bf16(device) else "fp32"
    return precision
