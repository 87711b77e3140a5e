"""When the bound on θ binds: the report and the sentence against runs whose θ is known."""

import numpy as np
import torch

import ancer_core as ac
from ancer_core.core.protocol import MethodResult


def _results(iso: float, ancer_map: np.ndarray) -> dict:
    def result(method, theta):
        return MethodResult(method, torch.as_tensor(theta, dtype=torch.float32), [], 0.0, {}, {}, {})

    return {
        "fixed": result("fixed", [0.25]),
        "isotropic-dd": result("isotropic-dd", [iso]),
        "ancer": result("ancer", ancer_map[None]),
    }


def test_a_run_stuck_on_the_bound_is_named_with_the_attractor():
    settings = ac.preset("quick")  # θ ≤ 2 θ₀
    rep = ac.teaching.bound_report(_results(0.5, np.full((3, 4, 4), 0.5)), settings, 0.25)
    assert rep.theta_max == 0.5 and rep.iso_at_bound and rep.ancer_at_bound == 1.0 and rep.ancer_stuck
    said = ac.teaching.bound_sentence(rep, "σ", ac.CLASSES, (6, 0.77))
    assert "reached the bound σ ≤ 2 × 0.25 = 0.5" in said and "no room to move" in said
    assert "mostly frog" in said and "77 %" in said


def test_a_run_below_the_bound_or_unbounded_says_nothing():
    moved = np.linspace(0.26, 0.5, 48).reshape(3, 4, 4)
    rep = ac.teaching.bound_report(_results(0.26, moved), ac.preset("quick"), 0.25)
    assert not rep.iso_at_bound and not rep.ancer_stuck and rep.ancer_spread > 0.5
    assert ac.teaching.bound_sentence(rep, "σ", ac.CLASSES, None) is None
    paper = ac.preset("quick", objective="paper")  # θ unbounded
    rep = ac.teaching.bound_report(_results(0.9, np.full((3, 4, 4), 0.9)), paper, 0.25)
    assert rep.theta_max is None and not rep.iso_at_bound
    assert ac.teaching.bound_sentence(rep, "σ", ac.CLASSES, None) is None


def test_uniform_noise_speaks_of_lambda_and_an_unmeasured_network_of_one_class():
    rep = ac.teaching.bound_report(_results(0.5, np.full((3, 4, 4), 0.5)), ac.preset("quick"), 0.25)
    assert rep.ancer_stuck
    said = ac.teaching.bound_sentence(rep, "λ", ac.CLASSES, None)
    assert "λ ≤ 2 × 0.25" in said and "mostly one class" in said


def test_heavy_noise_answer_of_a_constant_network_is_its_class():
    class Always(torch.nn.Module):
        def forward(self, x):
            out = torch.zeros(len(x), 10)
            out[:, 3] = 1.0
            return out

    cls, share = ac.teaching.heavy_noise_answer(Always(), torch.rand(4, 3, 8, 8), [0, 1, 2, 3], 0.25, "l2")
    assert (cls, share) == (3, 1.0)
