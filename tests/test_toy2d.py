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


def test_rotation_search_is_the_optimum_of_each_rotated_plane(linear_model):
    """Each angle's entry is the anisotropic optimum of the plane rotated by it (computed here one by
    one), and a tilted boundary makes some rotation better than none."""
    model = linear_model([1.0, 1.0], 0.5)
    grid = np.geomspace(0.02, 2.0, 13)
    cls = T.objective_plane(model, [0.0, 0.0], "l2", grid)["cls"]
    angles = [0, 30, 90]
    best = T.rotation_search(model, [0.0, 0.0], "l2", grid, angles, cls=cls)
    for a, b in zip(angles, best):
        plane = T.objective_plane(model, [0.0, 0.0], "l2", grid, rotation=np.deg2rad(a), cls=cls)
        assert b == T.optimal_certificates(plane)["anisotropic"]["proxy_radius"]
    assert best[1] > 1.1 * best[0]
    # containment (Definition 1 within one family): exactly at the ball's radius, and just below it
    assert T.contains_ball([0.5, 2.0], 1.0, 0.5) and not T.contains_ball([0.5, 2.0], 1.0, 0.51)


def _drawn():
    """A hand-placed set: class 0 lower left, class 1 upper right, one class-1 point inside class 0's corner."""
    X = np.array([[-1.5, -1.2], [-1.1, -1.6], [-0.9, -0.8], [-1.3, -0.5], [1.2, 1.1], [0.8, 1.5], [1.6, 0.7]])
    X = np.vstack([X, [[-0.2, -1.9]]])
    return X, np.array([0, 0, 0, 0, 1, 1, 1, 1])


def test_drawn_points_survive_the_link_and_the_csv_to_the_drawing_step():
    from ancer_core import teaching as TD

    X, y = _drawn()
    code = TD.encode_points(X, y)
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # URL-safe
    X2, y2 = TD.decode_points(code)
    np.testing.assert_allclose(X2, X, atol=0.005 + 1e-6)  # kept to 0.01
    np.testing.assert_array_equal(y2, y)
    X3, y3 = TD.parse_toy_csv(TD.toy_csv(X, y).encode())
    np.testing.assert_allclose(X3, X, atol=1e-6)
    np.testing.assert_array_equal(y3, y)
    big = np.random.default_rng(0).uniform(-2.8, 2.8, (600, 2))
    assert len(TD.encode_points(big, np.arange(600) % 2)) < 4000  # a whole shipped-size set fits in a link


@pytest.mark.parametrize(
    "X, y, says",
    [
        ([[0, 0], [1, 1], [0.5, 0.2]], [0, 0, 1], "at least two of each"),
        ([[0, 0], [1, 1], [3.5, 0], [1, 0]], [0, 0, 1, 1], "must lie in"),
        ([[0, 0], [1, 1], [2, 0], [1, 0]], [0, 0, 2, 1], "0 or 1"),
        ([[0, np.nan], [1, 1], [2, 0], [1, 0]], [0, 0, 1, 1], "not a number"),
    ],
)
def test_a_bad_drawn_set_is_refused_with_what_to_change(X, y, says):
    import ancer_core as ac
    from ancer_core import teaching as TD

    with pytest.raises(ac.AncerInputError, match=says):
        TD.check_toy(X, y)


def test_damaged_link_and_csv_are_refused_with_a_message():
    import ancer_core as ac
    from ancer_core import teaching as TD

    code = TD.encode_points(*_drawn())
    for bad in (code[:-6], "not-a-code", code[:4] + "!!" + code[6:]):
        with pytest.raises(ac.AncerInputError, match="damaged"):
            TD.decode_points(bad)
    with pytest.raises(ac.AncerInputError, match="x1,x2,label"):
        TD.parse_toy_csv("a,b\n1,2\n")
    with pytest.raises(ac.AncerInputError, match="three numbers"):
        TD.parse_toy_csv("x1,x2,label\n1,2,oops\n")


def test_a_toy_model_trained_on_drawn_points_classifies_them():
    """In a couple of seconds on a CPU, as the toy page trains it, including the odd class-1 point."""
    X, y = _drawn()
    model = T.train_toy(X.astype(np.float32), y, hidden=64, noise_sigma=0.1, seed=0)
    with torch.no_grad():
        pred = model(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy()
    np.testing.assert_array_equal(pred, y)
