"""CERTIFY and the optimizers on a linear classifier whose smoothed version is known exactly.

f(x) = [w·x + b > 0]. Under 𝒩(0, diag(θ²)) its smoothed top-class probability is
pA = Φ(|w·x + b| / ‖θ ⊙ w‖₂), and the exact ellipsoid certificate {‖δ/θ‖₂ ≤ Φ⁻¹(pA)} touches
the decision boundary. A certificate is wrong iff its gap exceeds the exact gap.
"""

import numpy as np
import pytest
import torch
from scipy import stats

from ancer_core import (
    Certificate,
    SamplingConfig,
    ancer,
    certify,
    isotropic_dd,
    predict,
)
from ancer_core.core.validation import AncerInputError


def exact_gap_l2(w, b, x, theta):
    return abs(float(w @ x + b)) / float(np.linalg.norm(theta * w))


def test_soundness_rate_within_alpha(linear_model):
    """300 independent certifications at α = 0.1: the number of wrong certificates is
    Binomial(300, ≤ 0.1); failing above its 1 − 1e-4 quantile has probability < 1e-4."""
    w, b = np.array([1.0, 0.3, -0.2, 0.0]), -0.2
    model = linear_model(w, b)
    x = torch.tensor([[0.9, 0.1, 0.4, 0.5]])
    theta = np.array([0.6, 0.4, 0.5, 0.3])
    exact = exact_gap_l2(w, b, x[0].numpy(), theta)
    alpha, runs = 0.1, 300
    xs = x.repeat(runs, 1)
    certs = certify(
        model,
        xs,
        torch.tensor(theta).float().expand(runs, 4),
        "l2",
        n0=50,
        n=500,
        alpha=alpha,
        indices=list(range(runs)),
    )
    wrong = sum(c.gap > exact + 1e-9 for c in certs)
    assert all(c.prediction == 1 for c in certs if not c.abstained)
    assert wrong <= stats.binom.ppf(1 - 1e-4, runs, alpha)
    assert wrong > 0  # the bound is not vacuous: at α = 0.1 some certificates are (rightly) tight


def test_certified_ellipsoids_never_reach_other_class(linear_model):
    """Direct check: the point of the certified ellipsoid closest to the boundary stays in class 1."""
    w, b = np.array([1.0, -0.5]), -0.1
    model = linear_model(w, b)
    x = torch.tensor([[0.6, 0.2]])
    theta = np.array([0.3, 0.6])
    certs = certify(model, x.repeat(200, 1), torch.tensor(theta).float(), "l2", 20, 400, 0.01, indices=list(range(200)))
    for c in certs:
        # extreme point of {‖δ/θ‖ ≤ g} along −w: δ = −g θ²w/‖θw‖
        delta = -c.gap * theta**2 * w / np.linalg.norm(theta * w)
        assert c.contains(delta[None])[0]
    outside = sum(float(w @ (x[0].numpy() - c.gap * theta**2 * w / np.linalg.norm(theta * w)) + b) < 0 for c in certs)
    assert outside <= stats.binom.ppf(1 - 1e-4, 200, 0.01)


def test_gap_converges_to_exact(linear_model):
    w, b = np.array([1.0, 0.5, 0.0]), 0.0
    model = linear_model(w, b)
    x = torch.tensor([[0.2, 0.1, 0.3]])
    theta = np.array([0.5, 0.5, 0.5])
    exact = exact_gap_l2(w, b, x[0].numpy(), theta)
    errs = []
    for n in (1_000, 10_000, 200_000):
        c = certify(model, x, 0.5, "l2", 100, n, 0.001, seed=3)[0]
        errs.append(exact - c.gap)
    assert all(e >= 0 for e in errs)  # lower bounds (this seed)
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.05 * exact


def test_uniform_exact_one_dimensional(linear_model):
    """w = e₁: pA = ½(1 + m/λ) exactly; the ℓ1 certificate gap converges to m/λ₁."""
    model = linear_model(np.array([1.0, 0.0]), -0.3)
    x = torch.tensor([[0.5, 0.0]])
    lam = torch.tensor([[0.8, 0.4]])
    c = certify(model, x, lam, "l1", 100, 200_000, 0.001)[0]
    exact = 0.2 / 0.8
    assert 0 <= exact - c.gap < 0.02


def test_batching_does_not_change_results(linear_model):
    model = linear_model(np.array([1.0, -1.0, 0.5]), 0.05)
    x = torch.rand(7, 3, generator=torch.Generator().manual_seed(0))
    a = certify(
        model,
        x,
        0.4,
        "l2",
        30,
        900,
        0.01,
        seed=5,
        indices=range(10, 17),
        config=SamplingConfig(noise_batch=100, max_batch=100),
    )
    b = certify(
        model,
        x,
        0.4,
        "l2",
        30,
        900,
        0.01,
        seed=5,
        indices=range(10, 17),
        config=SamplingConfig(noise_batch=100, max_batch=10_000),
    )
    c = certify(
        model, x[3:5], 0.4, "l2", 30, 900, 0.01, seed=5, indices=[13, 14], config=SamplingConfig(noise_batch=100)
    )
    assert [t.p_lower for t in a] == [t.p_lower for t in b]
    assert [t.p_lower for t in a[3:5]] == [t.p_lower for t in c]


def test_predict(linear_model):
    model = linear_model(np.array([1.0]), 0.0)
    out = predict(model, torch.tensor([[2.0], [-2.0], [0.0]]), 0.5, "l2", 1000, 0.001)
    assert out[0] == 1 and out[1] == 0 and out[2] == -1


@pytest.mark.parametrize(
    "bad,match",
    [
        (dict(norm="linf"), "norm"),
        (dict(alpha=1.0), "alpha"),
        (dict(alpha=0), "alpha"),
        (dict(n=0), "n="),
        (dict(n0=-1), "n0"),
        (dict(theta=-0.1), "theta"),
        (dict(theta=float("nan")), "theta"),
        (dict(theta=torch.ones(5)), "shape"),
        (dict(x=torch.ones(3)), "batch dimension"),
    ],
)
def test_bad_input_is_rejected_early(linear_model, bad, match):
    args = dict(
        model=linear_model(np.array([1.0, 1.0]), 0.0),
        x=torch.zeros(2, 2),
        theta=0.5,
        norm="l2",
        n0=10,
        n=10,
        alpha=0.01,
    )
    args.update(bad)
    with pytest.raises(AncerInputError, match=match):
        certify(**args)


def exact_p_a(norm, theta, m):
    """Exact smoothed top-class probability for w = e₁ with margin m > 0."""
    t1 = theta[..., 0]
    closed_form = {  # P[x + ε stays on the correct side], Gaussian and uniform noise along e₁
        "l2": lambda: stats.norm.cdf(m / t1),
        "l1": lambda: np.minimum(1.0, 0.5 * (1 + m / t1)),
    }
    return closed_form[norm]()


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_ancer_is_superset_with_larger_proxy_radius(linear_model, norm):
    """Only coordinate 1 matters (w = e₁, margin m). The exact certificates (closed-form pA, i.e.
    N → ∞) of ANCER's θ must contain those of Isotropic DD's θ (Definition 1) and have a larger
    proxy radius; Monte Carlo CERTIFY (N = 50,000) must agree on the proxy radius. Logits are
    scaled ×20 (same decision boundary) so that the optimizers' softmax is close to the hard
    classifier; with soft logits θ₁ also grows (the objective is then that of the soft classifier)."""
    model = linear_model(20 * np.array([1.0, 0.0, 0.0, 0.0]), -0.2 * 20).eval()
    x = torch.tensor([[0.5, 0.5, 0.5, 0.5], [0.9, 0.1, 0.2, 0.3]])
    margins = (x[:, 0] - 0.2).numpy()
    iso = isotropic_dd(model, x, 0.25, norm, iterations=30, samples=64, lr=0.04)
    an = ancer(model, x, iso.theta, norm, iterations=30, samples=64, lr=0.04, kappa=2.0)
    assert an.trace["objective"].shape == (30, 2)
    assert torch.all(an.theta >= iso.theta[:, None] - 1e-7)  # projection θ ≥ θ_iso
    for k, m in enumerate(margins):
        th_i = np.full(4, float(iso.theta[k]))
        th_a = an.theta[k].double().numpy()
        e_iso = Certificate.from_bound(norm, th_i, 1, float(exact_p_a(norm, th_i, m)), dim=4)
        e_an = Certificate.from_bound(norm, th_a, 1, float(exact_p_a(norm, th_a, m)), dim=4)
        assert e_an.is_superset_of(e_iso)
        assert e_an.proxy_radius > 1.2 * e_iso.proxy_radius
    c_iso = certify(model, x, iso.theta, norm, 100, 50_000, 0.001, seed=1)
    c_an = certify(model, x, an.theta, norm, 100, 50_000, 0.001, seed=1)
    for a, i in zip(c_an, c_iso):
        assert not i.abstained and a.prediction == i.prediction == 1
        assert a.proxy_radius > 1.2 * i.proxy_radius


def test_isotropic_dd_moves_towards_optimum(linear_model):
    """ℓ2, w = e₁ with margin m: the isotropic objective θ·Φ⁻¹(clamp p) increases with θ until
    m/θ = Φ⁻¹(0.999); starting far below, Isotropic DD must increase θ."""
    model = linear_model(np.array([1.0, 0.0]), 0.0).eval()
    x = torch.tensor([[1.5, 0.0]])
    res = isotropic_dd(model, x, 0.1, "l2", iterations=40, samples=64, lr=0.04)
    assert res.theta[0] > 0.3
    assert res.trace["objective"][-1, 0] > res.trace["objective"][0, 0]


def test_optimizers_refuse_training_mode(linear_model):
    m = linear_model(np.array([1.0]), 0.0).train()
    with pytest.raises(ValueError, match="eval"):
        isotropic_dd(m, torch.zeros(1, 1), 0.2, "l2", iterations=1, samples=2)


@pytest.mark.parametrize("method", ["isotropic-dd", "ancer"])
def test_trace_is_the_same_with_and_without_a_callback(linear_model, method):
    """The trace stays on the device when nobody asks per iteration; with a callback each
    iteration's statistics are copied to the host. Both must give the same trace, and the
    callback must see exactly the trace's rows (values before the step, θ mean included)."""
    model = linear_model(np.array([3.0, -1.0, 0.5]), 0.2).eval()
    x = torch.tensor([[0.5, 0.1, 0.2], [0.1, 0.9, 0.4]])
    seen = []

    def run(callback):
        if method == "isotropic-dd":
            return isotropic_dd(model, x, 0.3, "l2", iterations=5, samples=16, callback=callback)
        return ancer(model, x, 0.3, "l2", iterations=5, samples=16, callback=callback, record_theta=True)

    quiet, loud = run(None), run(lambda it, total, stats: seen.append((it, total, stats)))
    torch.testing.assert_close(quiet.theta, loud.theta, rtol=0, atol=0)
    assert quiet.trace.keys() == loud.trace.keys() and [s[:2] for s in seen] == [(i, 5) for i in range(1, 6)]
    for k in quiet.trace:
        np.testing.assert_array_equal(quiet.trace[k], loud.trace[k])
        np.testing.assert_array_equal(np.stack([s[2][k] for s in seen]), loud.trace[k])
    # each row is θ before that step (a regression: rows used to be views of θ, all equal to the final θ)
    np.testing.assert_allclose(quiet.trace["theta_mean"][0], 0.3)
    assert not np.allclose(quiet.trace["theta_mean"][-1], 0.3)
    if method == "ancer":  # the path the toy page draws
        np.testing.assert_allclose(quiet.trace["theta"][0], 0.3)
        assert np.abs(np.diff(quiet.trace["theta"], axis=0)).sum(axis=(1, 2)).min() > 0
