"""The library behind the live page's teaching features: noisy copies, the attack on the smoothed
classifier (soundness against a closed form), projections, own images, vote counts."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import optimize, stats

import ancer_core as ac
from ancer_core.data import bundled_photos, prepare_image
from ancer_core.teaching import attack_smoothed, noisy_copies, runner_up, verdict


def test_noisy_copies_are_the_smoothing_noise_and_seeded(linear_model):
    model = linear_model(torch.ones(48), -24.0)
    x = torch.full((3, 4, 4), 0.5)
    theta = torch.linspace(0.1, 0.9, 48).view(3, 4, 4)
    copies, labels = noisy_copies(model, x, theta, "l2", k=4000, seed=3)
    u = ((copies - x) / theta).flatten()
    assert abs(float(u.mean())) < 0.01 and abs(float(u.std()) - 1) < 0.01  # 𝒩(0, 1) per coordinate
    assert torch.equal(labels, model(copies).argmax(1))
    again, _ = noisy_copies(model, x, theta, "l2", k=4000, seed=3)
    assert torch.equal(copies, again)
    uni, _ = noisy_copies(model, x, 0.3, "l1", k=2000, seed=0)
    w = (uni - x) / 0.3
    assert float(w.abs().max()) <= 1 and abs(float(w.std()) - 1 / np.sqrt(3)) < 0.01  # U[−1, 1]


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_projection_is_the_nearest_point_of_the_ball(norm):
    """Against a constrained minimization (SLSQP) of ‖w − v‖² subject to ‖w‖_p ≤ r."""
    noise = ac.noise_for(norm)
    rng = np.random.default_rng(0)
    for _ in range(5):
        v = rng.normal(size=6)
        r = 0.5 * float(noise.region_norm(v))
        got = noise.project(torch.tensor(v), r).numpy()
        cons = {"type": "ineq", "fun": lambda w, r=r: r - noise.region_norm(w)}
        ref = optimize.minimize(
            lambda w, v=v: ((w - v) ** 2).sum(),
            np.zeros(6),
            constraints=[cons],
            method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 500},
        ).x
        np.testing.assert_allclose(got, ref, atol=1e-4)
        assert noise.region_norm(got) <= r * (1 + 1e-9)
    inside = torch.tensor([0.1, -0.2])
    assert torch.equal(noise.project(inside, 1.0), inside)


def _linear_setup(n_images: int, seed: int):
    """Linear classifier f(x) = [w·x + b > 0] and inputs whose smoothed prediction is class 1."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(48, generator=g)
    x = 0.5 + 0.05 * torch.randn(n_images, 3, 4, 4, generator=g)
    theta = torch.rand(3, 4, 4, generator=g) * 0.3 + 0.1  # anisotropic
    b = float(-(x.flatten(1) @ w).median()) + 0.3 * float((theta.flatten() * w).norm())
    return w, b, x, theta


def _exact_p1(w, b, x, theta):
    """P[f(x + θ⊙ε) = 1] = Φ((w·x + b)/‖θ ⊙ w‖) for Gaussian noise (closed form)."""
    return stats.norm.cdf(((x.flatten(1) @ w).numpy() + b) / float((theta.flatten() * w).norm()))


def test_attack_inside_the_certified_region_never_flips_the_smoothed_prediction(linear_model):
    """Seeded; CERTIFY at α = 0.001 on 30 inputs: a wrong certificate (the only way the attack could
    flip the exact smoothed prediction inside the region) happens on ≥ 2 inputs with probability
    P[Binom(30, 0.001) ≥ 2] ≈ 4e-4, the false-failure rate of this test. Outside (3×) it succeeds."""
    w, b, x, theta = _linear_setup(30, 0)
    model = linear_model(w, b).eval()
    certs = ac.certify(model, x, theta, "l2", 100, 20_000, 0.001, seed=1)
    keep = [i for i, c in enumerate(certs) if c.prediction == 1]
    assert len(keep) >= 20
    flips_inside = flips_outside = wrong_predict = 0
    for i in keep:
        c = certs[i]
        for scale in (0.95, 3.0):
            res = attack_smoothed(
                model, x[i], theta, "l2", runner_up(c), theta, scale * c.gap, steps=30, samples=64, seed=i
            )
            assert res.budget_norm <= scale * c.gap * (1 + 1e-5)  # float32 z
            xa = x[i] + res.delta
            assert float(xa.min()) >= 0 and float(xa.max()) <= 1
            flipped = _exact_p1(w, b, xa[None], theta)[0] <= 0.5
            if scale < 1:
                assert c.contains(res.delta.numpy()[None])[0]
                flips_inside += flipped
                pred = ac.predict(model, xa[None], theta, "l2", 2000, 0.001, seed=100 + i)[0]
                wrong_predict += pred == 0
            else:
                flips_outside += flipped
    assert flips_inside <= 1 and wrong_predict <= 1
    assert flips_outside >= 0.9 * len(keep)


def test_attack_stays_in_a_cross_polytope_budget(linear_model):
    w, b, x, theta = _linear_setup(3, 1)
    model = linear_model(w, b).eval()
    lam = theta * np.sqrt(3)
    for i in range(3):
        res = attack_smoothed(model, x[i], lam, "l1", 0, lam, 0.4, steps=15, samples=32, seed=i)
        z = (res.delta / lam).flatten().numpy()
        assert np.abs(z).sum() <= 0.4 * (1 + 1e-5) and res.budget_norm == pytest.approx(np.abs(z).sum(), rel=1e-6)
        assert res.trace.shape == (15,)


def test_verdict_of_an_isotropic_certificate_on_an_image_shaped_perturbation():
    """A scalar θ (fixed σ, Isotropic DD) and δ shaped like the image, as the live page's attack hands it over."""
    cert = ac.Certificate.from_bound("l2", 0.25, 3, 0.99, dim=3 * 32 * 32, n=1000, alpha=0.001)
    small, big = np.full((3, 32, 32), 1e-3), np.full((3, 32, 32), 0.1)
    assert cert.contains(small[None]).tolist() == [True] and cert.contains(big[None]).tolist() == [False]
    assert cert.contains(np.stack([small, big])).tolist() == [True, False] and bool(cert.contains(small))
    assert verdict(cert, small, 3, 1000, 0.001, [str(k) for k in range(10)]).inside


def test_verdict_says_what_the_outcome_means():
    cert = ac.Certificate.from_bound("l2", 0.5, 3, 0.99, dim=4, n=1000, alpha=0.001)
    classes = [str(k) for k in range(10)]
    inside, outside = np.full(4, 0.1), np.full(4, 2.0)
    v = verdict(cert, inside, 3, 1000, 0.001, classes)
    assert v.inside and v.held and "inside" in v.text and "stood" in v.text
    v = verdict(cert, outside, 5, 1000, 0.001, classes)
    assert not v.inside and v.held is False and "broke through" in v.text
    v = verdict(cert, inside, -1, 1000, 0.001, classes)
    assert v.held is None and "abstains" in v.text
    v = verdict(cert, inside, 5, 1000, 0.001, classes)
    assert v.inside and "probability ≤ α" in v.text


def test_certify_and_predict_report_their_votes(linear_model):
    model = linear_model(torch.ones(48), -20.0)
    x = torch.rand(2, 3, 4, 4)
    certs = ac.certify(model, x, 0.25, "l2", 10, 300, 0.001)
    for c in certs:
        assert sum(c.extra["counts"]) == 300 and c.extra["counts"][max(c.prediction, 0)] >= c.extra["n_a"] * 0
        if c.prediction >= 0:
            assert c.extra["counts"][c.prediction] == c.extra["n_a"]
    pred, counts = ac.predict(model, x, 0.25, "l2", 300, 0.001, return_counts=True)
    assert counts.shape == (2, 2) and (counts.sum(1) == 300).all()


def _png(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG", **kw)
    return buf.getvalue()


def test_own_images_are_cropped_resized_and_converted():
    rgb = Image.new("RGB", (100, 60), (200, 10, 10))
    p = prepare_image(_png(rgb))
    assert p.x.shape == (3, 32, 32) and p.original.shape == (60, 100, 3)
    assert any("centre-cropped to 60×60" in n for n in p.notes)
    assert torch.allclose(p.x[:, 16, 16], torch.tensor([200, 10, 10]) / 255.0, atol=2 / 255)
    gray = prepare_image(_png(Image.new("L", (32, 32), 128)))
    assert any("grayscale" in n for n in gray.notes) and torch.allclose(gray.x[0], gray.x[2])
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # fully transparent → white
    alpha = prepare_image(_png(rgba))
    assert any("transparency" in n for n in alpha.notes) and float(alpha.x.min()) == pytest.approx(1.0)
    for name, data in bundled_photos().items():
        assert prepare_image(data).x.shape == (3, 32, 32), name


def test_bad_files_get_a_clear_message():
    with pytest.raises(ac.AncerInputError, match="not an image"):
        prepare_image(b"this is a text file, not a picture")
    frames = [Image.new("RGB", (16, 16), (k * 40, 0, 0)) for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(ac.AncerInputError, match="animated"):
        prepare_image(buf.getvalue())
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF")
    with pytest.raises(ac.AncerInputError, match="GIF"):
        prepare_image(buf.getvalue())
    with pytest.raises(ac.AncerInputError, match="pixels"):
        prepare_image(_png(Image.new("1", (7000, 7000))))
    with pytest.raises(ac.AncerInputError, match="MB"):
        prepare_image(b"\x89PNG" + bytes(21 * 2**20))
