"""What the live page hands the other pages: its runs, as typed objects in this browser tab's session."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from ancer_core.core.noise import Noise, noise_for
from ancer_core.core.protocol import MethodResult
from ancer_core.core.settings import Settings

_LAST, _ALL = "last_run", "runs"
MAX_RUNS = 12  # runs kept for comparison in one tab (each holds three θ of 12 KB)


def test_image_name(idx: int) -> str:
    """How a run names CIFAR-10 test image ``idx`` (``Run.image``)."""
    return f"test image #{idx}"


@dataclass(frozen=True, kw_only=True)
class Run:  # by keyword only: sixteen fields in a row are easy to misplace
    """One run of the three methods on one image (the last run, or any of this tab's runs)."""

    results: dict[str, MethodResult]
    image: str  # "test image #7" or the name of the user's own image
    idx: int  # the CIFAR-10 test index, or the seed index of an own image
    x: torch.Tensor  # the image (1, 3, 32, 32), on the CPU
    label: int | None  # the true class (None for an own image)
    norm: str
    model: str
    sigma: float  # the initial σ (std)
    settings: Settings
    theta0: float  # θ of σ (σ, or the uniform half-width λ)
    seed: int
    preset: str
    precision: str  # the network CERTIFY sampled: fp32, bf16 or int8
    seconds: float
    key: str  # unique per run: widgets that depend on the run key their state by it
    optimizer_precision: str = "fp32"  # the optimizers' autocast

    @property
    def noise(self) -> Noise:
        return noise_for(self.norm)

    @property
    def title(self) -> str:
        parts = [self.image, self.model, self.norm, f"σ = {self.sigma:g}", self.preset, self.precision]
        if self.settings.objective != Settings.objective:
            parts.append(f"{self.settings.objective} objective")
        return " · ".join(parts)

    def matches(self, image: str | int, norm: str, model: str | None = None) -> bool:
        """Whether this run certified ``image`` (its name, or a test index) with ``norm`` (and ``model``)."""
        name = test_image_name(image) if isinstance(image, int) else image
        return self.image == name and self.norm == norm and (model is None or self.model == model)


def last_run() -> Run | None:
    return st.session_state.get(_LAST)


def runs() -> list[Run]:
    """This tab's runs, oldest first."""
    return st.session_state.get(_ALL, [])


def set_last_run(run: Run) -> None:
    st.session_state[_LAST] = run
    st.session_state[_ALL] = (runs() + [run])[-MAX_RUNS:]
