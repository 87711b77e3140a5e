"""Memory-based certification: no two regions of different classes overlap, checked by sampling."""

import numpy as np
import pytest

from ancer_core import Certificate, CertificationMemory


def _sample_in(cert, center, rng, k=400):
    a = cert.semi_axes()
    pts = rng.uniform(-a, a, (k * 4, len(a)))
    return center + pts[cert.contains(pts)][:k]


@pytest.mark.parametrize("norm", ["l2", "l1"])
@pytest.mark.parametrize("aniso", [False, True])
def test_no_overlap_between_classes(norm, aniso):
    rng = np.random.default_rng(0)
    mem = CertificationMemory(norm, 2)
    stored = []
    for _ in range(60):
        x = rng.uniform(0, 3, 2)
        theta = rng.uniform(0.1, 0.6, 2) if aniso else np.float64(rng.uniform(0.1, 0.6))
        cert = mem.admit(x, Certificate.from_bound(norm, theta, int(rng.integers(3)), rng.uniform(0.6, 0.999), dim=2))
        stored.append((x, cert))
    assert mem.revised > 0 and mem.conflicts() == 0
    for i, (xi, ci) in enumerate(stored):
        if ci.abstained or ci.gap == 0:
            continue
        pts = _sample_in(ci, xi, rng)
        for j, (xj, cj) in enumerate(stored):
            if i != j and cj.prediction != ci.prediction and cj.gap > 0:
                assert not cj.contains(pts - xj).any(), (i, j)


def test_input_inside_other_class_takes_that_class():
    mem = CertificationMemory("l2", 2)
    big = mem.admit(np.zeros(2), Certificate.from_bound("l2", np.array([1.0, 1.0]), 0, 0.99, dim=2))
    assert big.prediction == 0
    new = mem.admit(np.array([0.5, 0.0]), Certificate.from_bound("l2", 0.3, 1, 0.9, dim=2))
    assert new.prediction == 0
    assert new.gap == pytest.approx(big.gap - 0.5)  # the largest same-shape region inside the old one
    assert np.isnan(new.p_lower)  # certified by the stored region, not by a bound of its own
    far = mem.admit(np.array([10.0, 0.0]), Certificate.from_bound("l2", 0.3, 1, 0.9, dim=2))
    assert far.prediction == 1 and far.gap == pytest.approx(Certificate.from_bound("l2", 0.3, 1, 0.9, dim=2).gap)


def test_shrink_is_exact_for_balls():
    mem = CertificationMemory("l2", 2)
    mem.admit(np.zeros(2), Certificate.from_bound("l2", 1.0, 0, 0.9, dim=2))  # ball radius Φ⁻¹(0.9) ≈ 1.28
    c = mem.admit(np.array([2.0, 0.0]), Certificate.from_bound("l2", 1.0, 1, 0.95, dim=2))
    exact = 2.0 - 1.2815515655446004  # the two balls touch
    assert exact * (1 - 2e-5) <= c.radius <= exact  # within the memory's 1e-5 safety margin
