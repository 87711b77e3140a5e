"""What the live page hands the other pages: its last run, as a typed object in the session."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import ancer_core as ac

_KEY = "last_run"


@dataclass(frozen=True)
class LastRun:
    """The three methods run on one test image."""

    results: dict[str, ac.MethodResult]
    idx: int
    norm: str
    model: str
    sigma: float  # the initial σ (std)
    settings: ac.Settings
    theta0: float  # θ of σ (σ, or the uniform half-width λ)
    seed: int
    seconds: float
    key: str  # unique per run: widgets that depend on the run key their state by it

    @property
    def noise(self) -> ac.Noise:
        return ac.noise_for(self.norm)

    def matches(self, idx: int, norm: str, model: str | None = None) -> bool:
        return self.idx == idx and self.norm == norm and (model is None or self.model == model)


def last_run() -> LastRun | None:
    return st.session_state.get(_KEY)


def set_last_run(run: LastRun) -> None:
    st.session_state[_KEY] = run
