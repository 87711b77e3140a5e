"""Region geometry against closed forms: ellipse slices, cross-polytope slices, Figure-2 perturbations."""

import numpy as np
import pytest
from scipy.stats import norm as normal

from ancer_core.core.certificate import Certificate
from ancer_core.core.validation import AncerInputError
from ancer_core.teaching.regions import (
    boundary_scale,
    perturbation_outside,
    slice_boundary,
    slice_directions,
)


def _cert(norm, theta, p=0.9):
    return Certificate.from_bound(norm, np.asarray(theta, dtype=float), 1, p)


def _area(a, b):  # shoelace formula of a closed polygon
    return 0.5 * abs(np.dot(a[:-1], b[1:]) - np.dot(a[1:], b[:-1]))


def test_axis_slice_of_ellipsoid_has_semi_axes_theta_times_gap():
    th = np.array([0.1, 0.5, 0.3, 0.2])
    c = _cert("l2", th)
    u, v, *_ = slice_directions(th, "extreme")
    a, b = slice_boundary(c, u, v)
    assert np.abs(a).max() == pytest.approx(c.gap * 0.5, rel=1e-9)
    assert np.abs(b).max() == pytest.approx(c.gap * 0.1, rel=1e-9)
    np.testing.assert_allclose((a / 0.5) ** 2 + (b / 0.1) ** 2, c.gap**2, rtol=1e-9)


def test_random_slice_of_ellipsoid_matches_its_quadratic_form():
    rng = np.random.default_rng(3)
    th = rng.uniform(0.05, 1.0, 50)
    c = _cert("l2", th, p=0.99)
    u, v, *_ = slice_directions(th, "random", seed=4)
    assert abs(u @ v) < 1e-12 and np.linalg.norm(u) == pytest.approx(1) and np.linalg.norm(v) == pytest.approx(1)
    a, b = slice_boundary(c, u, v, angles=4001)
    B = np.stack([u, v], 1) / th[:, None]
    M = B.T @ B  # slice = {w : wᵀMw ≤ gap²}, an ellipse of area π gap² / √det M
    w = np.stack([a, b])
    np.testing.assert_allclose(np.einsum("in,ij,jn->n", w, M, w), c.gap**2, rtol=1e-9)
    assert _area(a, b) == pytest.approx(np.pi * c.gap**2 / np.sqrt(np.linalg.det(M)), rel=1e-5)


def test_axis_slice_of_cross_polytope_is_the_diamond():
    th = np.array([0.4, 0.1, 0.7])
    c = _cert("l1", th)
    u, v, *_ = slice_directions(th, "extreme")  # coordinates 2 (0.7) and 1 (0.1)
    a, b = slice_boundary(c, u, v, angles=721)  # 720 steps: the four vertices are sampled exactly
    assert _area(a, b) == pytest.approx(2 * (c.gap * 0.7) * (c.gap * 0.1), rel=1e-9)
    np.testing.assert_allclose(np.abs(a) / 0.7 + np.abs(b) / 0.1, c.gap, rtol=1e-9)


def test_isotropic_slice_is_a_circle_of_the_radius():
    c = Certificate.from_bound("l2", 0.25, 0, 0.8, dim=10)
    u, v, *_ = slice_directions(np.full(10, 0.25), "random", seed=1)
    a, b = slice_boundary(c, u, v)
    np.testing.assert_allclose(np.hypot(a, b), 0.25 * normal.ppf(0.8), rtol=1e-9)


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_boundary_scale_is_exactly_on_the_boundary(norm):
    rng = np.random.default_rng(0)
    th = rng.uniform(0.1, 1.0, 30)
    c = _cert(norm, th)
    d = rng.standard_normal((200, 30))
    t = boundary_scale(c, d)
    assert c.contains(d * (t * (1 - 1e-6))[:, None]).all()
    assert not c.contains(d * (t * (1 + 1e-6))[:, None]).any()


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_figure2_perturbation_is_inside_anisotropic_and_outside_isotropic(norm):
    rng = np.random.default_rng(5)
    shape = (3, 8, 8)
    iso = Certificate.from_bound(norm, 0.25, 2, 0.9, dim=192)
    an = Certificate.from_bound(norm, rng.uniform(0.25, 1.0, shape), 2, 0.9)  # a superset of iso
    assert an.is_superset_of(iso)
    delta, info = perturbation_outside(iso, an, seed=0)
    assert delta.shape == shape
    assert info["inside_outer"] and info["outside_inner_ball"] and info["outside_inner_region"]
    p = {"l2": 2, "l1": 1}[norm]  # the ℓp norm of each region, written out independently of the library
    assert np.linalg.norm(delta.ravel(), ord=p) == pytest.approx(info["delta_norm"])
    assert info["delta_norm"] > iso.radius
    x = rng.uniform(0, 1, shape)
    delta, info = perturbation_outside(iso, an, seed=0, center=x)
    assert (x + delta).min() >= 0 and (x + delta).max() <= 1 and info["inside_outer"]


def test_bad_geometry_input_is_refused():
    c = _cert("l2", [0.1, 0.2])
    with pytest.raises(AncerInputError, match="values"):
        slice_boundary(c, np.ones(3), np.ones(3))
    with pytest.raises(AncerInputError, match="kind"):
        slice_directions(np.ones(4), "diagonal")
    with pytest.raises(AncerInputError, match="abstains"):
        perturbation_outside(c, Certificate.from_bound("l2", [0.1, 0.2], 1, 0.4))
