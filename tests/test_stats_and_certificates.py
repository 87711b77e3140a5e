"""Formulas against independent computations (scipy, closed forms, Monte Carlo)."""

import math

import numpy as np
import pytest
from scipy import stats

from ancer_core.core.certificate import Certificate
from ancer_core.core.noise import UNIFORM, noise_for, smoothing_theta, uniform_half_width
from ancer_core.core.stats import lower_confidence_bound, predict_pvalue
from ancer_core.core.validation import AncerInputError


@pytest.mark.parametrize("n", [10, 100, 100_000])
@pytest.mark.parametrize("alpha", [0.001, 0.05])
def test_clopper_pearson_matches_beta_quantile(n, alpha):
    n_a = np.unique(np.linspace(0, n, 23).astype(int))
    ours = lower_confidence_bound(n_a, n, alpha)
    # one-sided (1-α) Clopper–Pearson lower bound = Beta(α; nA, N−nA+1) quantile, 0 when nA = 0
    ref = np.where(n_a == 0, 0.0, stats.beta.ppf(alpha, np.maximum(n_a, 1), n - n_a + 1))
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_predict_pvalue_matches_binomtest():
    rng = np.random.default_rng(0)
    for _ in range(40):
        a, b = rng.integers(0, 60, 2)
        if a + b == 0:
            continue
        assert predict_pvalue(a, b) == pytest.approx(stats.binomtest(int(a), int(a + b), 0.5).pvalue, rel=1e-9)


@pytest.mark.parametrize("p", [0.51, 0.7, 0.9, 0.999])
def test_isotropic_radii_match_cohen_and_yang(p):
    sigma = 0.37
    c2 = Certificate.from_bound("l2", sigma, 3, p, dim=3072)
    assert c2.radius == pytest.approx(sigma * stats.norm.ppf(p))  # Cohen et al.: σ Φ⁻¹(p̲A)
    assert c2.proxy_radius == pytest.approx(c2.radius)
    lam = 0.5
    c1 = Certificate.from_bound("l1", lam, 3, p, dim=3072)
    assert c1.radius == pytest.approx(2 * lam * (p - 0.5))  # Yang et al.: 2λ(p̲A − ½)


def test_abstain_below_half():
    c = Certificate.from_bound("l2", 0.25, 4, 0.49, dim=10)
    assert c.abstained and c.gap == 0 and c.radius == 0 and c.log_volume == -math.inf
    assert not c.contains(np.zeros(10))


def test_proxy_radius_log_space_no_underflow():
    theta = np.full((3, 32, 32), 0.01)  # ∏θ = 1e-6144 underflows in float64
    c = Certificate.from_bound("l2", theta, 0, 0.9, dim=3072)
    assert c.proxy_radius == pytest.approx(0.01 * stats.norm.ppf(0.9))
    assert np.isfinite(c.log_volume)


@pytest.mark.parametrize("norm", ["l2", "l1"])
@pytest.mark.parametrize("theta", [[0.3, 1.1], [0.5, 0.2, 0.9]])
def test_volume_against_monte_carlo(norm, theta):
    """Fraction of a bounding box inside the region × box volume ≈ exp(log_volume). 400k samples:
    the relative standard error is < 0.5 %, the tolerance 3 %, so a false failure is < 1e-9."""
    c = Certificate.from_bound(norm, np.array(theta), 0, 0.85, dim=len(theta))
    a = c.semi_axes()
    rng = np.random.default_rng(1)
    pts = rng.uniform(-a, a, size=(400_000, len(theta)))
    frac = c.contains(pts).mean()
    assert frac * np.prod(2 * a) == pytest.approx(math.exp(c.log_volume), rel=0.03)


def test_volume_closed_forms_in_2d():
    g = stats.norm.ppf(0.9)
    e = Certificate.from_bound("l2", np.array([0.3, 0.7]), 0, 0.9, dim=2)
    assert math.exp(e.log_volume) == pytest.approx(math.pi * 0.3 * g * 0.7 * g)  # ellipse πab
    p = Certificate.from_bound("l1", np.array([0.3, 0.7]), 0, 0.9, dim=2)
    r = 2 * (0.9 - 0.5)
    assert math.exp(p.log_volume) == pytest.approx(2 * (0.3 * r) * (0.7 * r))  # rhombus 2ab


def test_superset_hand_built():
    iso = Certificate.from_bound("l2", 0.5, 1, 0.9, dim=3)
    big = Certificate.from_bound("l2", np.array([0.5, 0.8, 2.0]), 1, 0.9, dim=3)
    assert big.is_superset_of(iso) and not iso.is_superset_of(big)
    # larger volume but one axis shorter: not a superset
    skew = Certificate.from_bound("l2", np.array([0.45, 5.0, 5.0]), 1, 0.9, dim=3)
    assert skew.log_volume > iso.log_volume and not skew.is_superset_of(iso)
    # different prediction or abstention: never a superset
    assert not Certificate.from_bound("l2", np.array([1, 1, 1.0]), 2, 0.9, dim=3).is_superset_of(iso)
    assert not big.is_superset_of(Certificate.from_bound("l2", 0.1, 1, 0.4, dim=3))
    # cross-polytope inside the ball of the same radius; ball not inside the cross-polytope
    poly = Certificate.from_bound("l1", 0.5, 1, 0.5 + stats.norm.ppf(0.9) / 2, dim=3)
    assert iso.is_superset_of(poly) and not poly.is_superset_of(iso)


def test_superset_agrees_with_sampling():
    """Random pairs: if A ⊇ B, no sampled point of B lies outside A; if not, some do."""
    rng = np.random.default_rng(2)
    for norm in ("l2", "l1"):
        for _ in range(30):
            a = Certificate.from_bound(norm, rng.uniform(0.2, 1, 2), 0, 0.9, dim=2)
            b = Certificate.from_bound(norm, rng.uniform(0.2, 1, 2), 0, 0.9, dim=2)
            ax = b.semi_axes()
            pts = rng.uniform(-ax, ax, (20_000, 2))
            pts = pts[b.contains(pts)]
            outside = (~a.contains(pts)).any()
            assert a.is_superset_of(b) == (not outside)


def test_uniform_convention():
    assert uniform_half_width(1.0) == pytest.approx(math.sqrt(3))
    assert uniform_half_width(1.0, "ancer-original") == pytest.approx(1 / math.sqrt(3))
    # std of U[−λ, λ] is λ/√3: the default makes σ the standard deviation
    lam = smoothing_theta("l1", 0.5)
    u = np.random.default_rng(0).uniform(-lam, lam, 1_000_000)
    assert u.std() == pytest.approx(0.5, rel=0.01)
    assert UNIFORM.sigma_from_theta(lam) == pytest.approx(0.5)
    assert smoothing_theta("l2", 0.5) == 0.5
    with pytest.raises(AncerInputError, match="convention"):
        uniform_half_width(1.0, "yang")


def test_gaps_match_corollaries():
    p = np.array([0.55, 0.8, 0.97, 0.99999])
    # Corollary 1: ½(Φ⁻¹(p̲A) − Φ⁻¹(1 − p̲A)); Corollary 2: p̲A − (1 − p̲A)
    np.testing.assert_allclose(noise_for("l2").gap(p), 0.5 * (stats.norm.ppf(p) - stats.norm.ppf(1 - p)), rtol=1e-12)
    np.testing.assert_allclose(noise_for("uniform").gap(p), p - (1 - p), rtol=1e-12)


def test_gap_zero_when_abstaining():
    assert noise_for("l1").gap(0.3) == 0 and noise_for("l2").gap(0.5) == 0


def test_noise_lookup_by_norm_or_name():
    assert noise_for("l2") is noise_for("gaussian") and noise_for("l1") is noise_for("uniform") is UNIFORM
    with pytest.raises(AncerInputError, match="norm='linf'"):
        noise_for("linf")
