"""2D smoothing by quadrature against closed forms and Monte Carlo (the toy page's math)."""

import numpy as np
import pytest
import torch
from scipy.stats import norm as normal

from ancer_core.teaching import smoothing2d as T
from ancer_core.teaching.toy_data import load_toy


@pytest.mark.parametrize("rotation", [0.0, 0.7])
def test_gaussian_quadrature_matches_the_linear_closed_form(linear_model, rotation):
    # f = 1[w·x + b > 0]: P[f(x + ε) = 1] = Φ((w·x + b) / √(wᵀΣw)), Σ = RΘ²Rᵀ
    w, b = np.array([1.0, -2.0]), 0.3
    model = linear_model(w, b)
    rng = np.random.default_rng(0)
    pts, th = rng.uniform(-0.5, 0.5, (20, 2)), rng.uniform(0.05, 0.6, (20, 2))
    p = T.class_probability(model, pts, th, "l2", k=200, rotation=rotation)
    R = T.rotation_matrix(rotation)
    s = np.sqrt(np.einsum("i,nij,j->n", w, R[None] @ (th[:, :, None] ** 2 * np.eye(2)) @ R.T[None], w))
    np.testing.assert_allclose(p, normal.cdf((pts @ w + b) / s), atol=2e-3)


def test_uniform_quadrature_matches_the_linear_closed_form(linear_model):
    # one axis: f = 1[x1 > 0], ε1 ~ U[−λ, λ]: P = clip((x1 + λ) / 2λ, 0, 1)
    model = linear_model([1.0, 0.0], 0.0)
    x = np.array([[0.1, 0.0], [-0.3, 1.0], [0.5, 0.0]])
    p = T.class_probability(model, x, np.array([0.4, 0.2]), "l1", k=400)
    np.testing.assert_allclose(p, np.clip((x[:, 0] + 0.4) / 0.8, 0, 1), atol=3e-3)


def test_quadrature_matches_monte_carlo_on_a_trained_network():
    X, y = load_toy("radial")
    model = T.train_toy(X, y, noise_sigma=0.1, steps=300)
    pts = np.array([[0.6, 0.3], [1.2, -0.4], [0.0, 1.5]])
    th = np.array([0.3, 0.15])
    p = T.class_probability(model, pts, th, "l2", k=160)
    g = torch.Generator().manual_seed(0)
    n = 400_000  # MC standard error ≤ 0.0008; tolerance 0.005 ≈ 6 SE + quadrature error (false failure < 1e-8)
    e = torch.randn(n, 2, generator=g) * torch.as_tensor(th, dtype=torch.float32)
    with torch.no_grad():
        mc = [(model(torch.as_tensor(q, dtype=torch.float32) + e).argmax(1) == 1).double().mean().item() for q in pts]
    np.testing.assert_allclose(p, mc, atol=5e-3)


def test_outline_is_the_certified_region_boundary():
    for norm in ("l2", "l1"):
        c = T.certificate_2d(norm, [0.3, 0.1], 1, 0.97)
        pts = T.region_outline(norm, [0.3, 0.1], c.gap)
        assert c.contains(pts * (1 - 1e-9)).all() and not c.contains(pts * (1 + 1e-6)).any()


def test_optimal_certificates_are_feasible_and_beat_isotropic(linear_model):
    # a linear boundary at distance 0.5 along x1: growing θ2 costs nothing, so the optimum is anisotropic
    model = linear_model([1.0, 0.0], 0.5)
    grid = np.geomspace(0.02, 2.0, 25)
    plane = T.objective_plane(model, [0.0, 0.0], "l2", grid)
    opt = T.optimal_certificates(plane)
    iso, an = opt["isotropic"], opt["anisotropic"]
    assert an["proxy_radius"] > 1.5 * iso["proxy_radius"]
    assert iso["radius"] == pytest.approx(0.5, rel=1e-3)  # the distance to the boundary, for every σ
    assert min(an["theta"]) * an["gap"] >= iso["radius"] * (1 - T.FEASIBILITY_RTOL)  # ⊇ the isotropic region
    assert an["superset"] and an["theta"].min() >= iso["theta"][0]
    assert an["theta"][1] > an["theta"][0]
    # brute force over the same grid agrees
    best = max(
        (np.sqrt(a * b) * T.gap_of("l2", T.class_probability(model, [[0, 0]], [a, b], "l2"))[0], a, b)
        for a in grid
        for b in grid
        if min(a, b) >= iso["theta"][0]
    )
    assert best[0] == pytest.approx(an["proxy_radius"])
