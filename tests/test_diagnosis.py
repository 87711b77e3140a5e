"""The attractor-class diagnosis: lost and gained images against fixed σ, and a network's attractor profile."""

import numpy as np
import torch

from ancer_core.data import Table, lost_and_gained, theta_ratios
from ancer_core.teaching import attractor_profile


def table(idx, predict, label, min_theta) -> Table:
    idx, predict, label = (np.asarray(v) for v in (idx, predict, label))
    return Table(
        {
            "idx": idx,
            "label": label,
            "predict": predict,
            "correct": (predict == label).astype(int),
            "min_sigma": np.asarray(min_theta, dtype=float),
        }
    )


def test_lost_and_gained_count_by_hand():
    label = [3, 4, 5, 6, 7]
    fixed = table([0, 1, 2, 3, 4], [3, 4, 5, 0, -1], label, [0.12] * 5)
    other = table([4, 3, 2, 1, 0], [-1, 6, 6, 6, 3], label[::-1], [0.5, 0.13, 0.6, 0.7, 0.2])
    lg = lost_and_gained(fixed, other)
    assert lg.images == 5
    assert lg.lost.tolist() == [1, 2] and lg.lost_to.tolist() == [6, 6]  # both went to class 6
    assert lg.gained.tolist() == [3]
    assert lg.destinations() == {6: 2}
    np.testing.assert_allclose(theta_ratios(other, 0.12), np.array([0.5, 0.13, 0.6, 0.7, 0.2]) / 0.12)


class NoisyAttractor(torch.nn.Module):
    """Class c(x) = argmax of the first ten pixels on clean inputs; class 9 once the noise energy is large."""

    def forward(self, x):
        flat = x.flatten(1)
        energy = ((flat - 0.5) ** 2).mean(1, keepdim=True)
        logits = 20 * flat[:, :10]
        logits[:, 9:] += 200 * (energy - 0.2)
        return logits


def test_attractor_profile_finds_the_class_heavy_noise_answers():
    x = torch.full((6, 3, 4, 4), 0.5)
    labels = np.array([0, 1, 2, 3, 4, 5])
    for i, c in enumerate(labels):
        x.view(6, -1)[i, c] = 1.0  # pixel c is bright: class c
    prof = attractor_profile(NoisyAttractor().eval(), x, labels, 0.05, "l2", ratios=(1, 4, 20), samples=16, chunk=4)
    assert prof.votes.shape == (3, 10)
    np.testing.assert_allclose(prof.votes.sum(-1), 1.0)
    assert prof.accuracy[0] == 1.0 and prof.accuracy[-1] == 0.0  # θ₀: each image its class; 20·θ₀: class 9
    assert prof.attractors(20) == [9] and prof.top_share[-1] == 1.0


def test_fitted_temperature_recovers_a_known_one():
    """Labels drawn from softmax(z / 3): the NLL is minimised at T = 3 (up to sampling error)."""
    from ancer_core.models import fit_temperature

    g = torch.Generator().manual_seed(0)
    logits = 4 * torch.randn(20000, 10, generator=g)
    labels = torch.multinomial(torch.softmax(logits / 3.0, -1), 1, generator=g).squeeze(1)
    t, nll_1, nll_t = fit_temperature(logits, labels)
    assert abs(t - 3.0) < 0.15 and nll_t < nll_1
