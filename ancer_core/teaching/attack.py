"""Try to break a certificate: an attack on the smoothed classifier inside a region of the
certificate's own shape, and what its outcome means.

The attack is projected gradient ascent on a Monte Carlo estimate of the smoothed classifier's
probability of a target class (the runner-up), as in Salman et al.'s SmoothAdv (2019):
E_u[softmax(f(x + δ + θ ⊙ u))_target] with fresh noise every step. The budget is a region
{δ : ‖δ/θ_b‖_p ≤ ρ} — the shape of a certificate (θ_b its θ, p its norm) scaled by a factor — and the
ascent runs in that region's own coordinates z = δ/θ_b, where the region is the ℓp ball of
radius ρ: each step moves z along the normalized gradient and projects it back onto the ball;
then x + δ is clipped to a valid image, which only shrinks every |δᵢ| and so stays in the region.

A certificate says the smoothed classifier's prediction cannot change anywhere in its region,
with probability ≥ 1 − α over CERTIFY's samples. So inside it no attack can succeed (up to α, and
up to the Monte Carlo test that checks the outcome); outside it, an attack may.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..core.certificate import Certificate
from ..core.noise import Noise, noise_for
from ..core.smoothing import STREAM_ATTACK, make_generators
from ..core.validation import AncerInputError, check_count, check_images, check_positive, check_theta


@dataclass
class AttackResult:
    delta: torch.Tensor  # (C, H, W): x + δ is a valid image
    target: int  # the class whose smoothed probability was pushed up
    budget_radius: float  # ρ: δ/θ_b lies in the ℓp ball of this radius
    budget_norm: float  # ‖δ/θ_b‖_p reached (≤ ρ)
    trace: np.ndarray  # Monte Carlo estimate of the target's probability before each step


def attack_smoothed(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta,
    norm: str | Noise,
    target: int,
    budget_theta,
    budget_radius: float,
    *,
    steps: int = 20,
    samples: int = 32,
    step_size: float | None = None,
    seed: int = 0,
    index: int = 0,
    callback: Callable[[int, int, float], None] | None = None,
) -> AttackResult:
    """Push the smoothed classifier (noise ``theta``, ``norm``) at x towards class ``target`` with a
    perturbation δ in {‖δ/budget_theta‖_p ≤ budget_radius}. ``theta`` and ``budget_theta``: a
    scalar or one value per pixel and channel. ``step_size`` in the region's coordinates (default
    2.5·ρ/steps, Madry et al.'s choice). ``callback(step, steps, estimate)`` reports progress."""
    noise = noise_for(norm)
    x = check_images(x.reshape(1, *x.shape[-3:]) if x.dim() == 3 else x)[:1]
    check_count("steps", steps, 0)
    check_count("samples", samples)
    check_positive("budget_radius", budget_radius)
    if model.training:
        raise AncerInputError("put the model in eval mode before attacking it")
    th = check_theta(theta, x)
    scale = th.view(1, 1, 1, 1) if th.dim() == 1 else th
    bt = check_theta(budget_theta, x)
    bt = (bt.view(1, 1, 1, 1) if bt.dim() == 1 else bt).expand_as(x)
    lr = step_size if step_size is not None else 2.5 * budget_radius / max(steps, 1)
    (gen,) = make_generators(seed, [index], x.device, STREAM_ATTACK)
    z = torch.zeros_like(x)
    trace = []
    with torch.enable_grad():
        for it in range(steps):
            z = z.detach().requires_grad_(True)
            xa = (x + bt * z).clamp(0.0, 1.0)
            u = noise.sample_unit((samples, *x.shape[1:]), x.device, x.dtype, gen)
            p = torch.softmax(model(xa + scale * u).float(), 1)[:, target].mean()
            (g,) = torch.autograd.grad(torch.log(p + 1e-12), z)
            trace.append(float(p.detach()))
            with torch.no_grad():
                z = z + lr * g / g.norm().clamp_min(1e-12)
                z = noise.project(z, budget_radius)
                z = ((x + bt * z).clamp(0.0, 1.0) - x) / bt  # a valid image; |zᵢ| only shrinks
            if callback is not None:
                callback(it + 1, steps, trace[-1])
    delta = (bt * z).detach()[0]
    reached = float(noise.region_norm((delta / bt[0]).flatten().cpu().double().numpy()))
    return AttackResult(delta, int(target), float(budget_radius), reached, np.array(trace))


def runner_up(cert: Certificate) -> int:
    """The class with the most votes after the certified one in CERTIFY's estimation samples."""
    counts = np.array(cert.extra.get("counts") or cert.extra.get("counts0"), dtype=float)
    counts[cert.prediction if cert.prediction >= 0 else int(counts.argmax())] = -1
    return int(counts.argmax())


@dataclass(frozen=True)
class Verdict:
    inside: bool  # δ lies in the attacked classifier's own certified region
    held: bool | None  # PREDICT at x + δ gave the certified class (None: it abstained)
    text: str


def verdict(cert: Certificate, delta: np.ndarray, prediction_after: int, n: int, alpha: float, classes) -> Verdict:
    """What the attack's outcome means for the certificate ``cert`` of the attacked classifier:
    PREDICT (N = ``n`` samples, level ``alpha``) gave ``prediction_after`` at x + δ."""
    inside = bool(cert.contains(np.asarray(delta)[None])[0]) if not cert.abstained else False
    name = classes[cert.prediction] if cert.prediction >= 0 else "abstain"
    after = "abstains" if prediction_after < 0 else f"says **{classes[prediction_after]}**"
    held = None if prediction_after < 0 else prediction_after == cert.prediction
    where = (
        "δ lies **inside** the certified region, where the smoothed classifier's prediction cannot change "
        f"(with probability ≥ 1 − α = {1 - cert.alpha:g})"
        if inside
        else "δ lies **outside** the certified region, where the certificate promises nothing: the prediction may fall"
    )
    if held is None:
        outcome = (
            f"PREDICT at x + δ (N = {n:,}, α = {alpha:g}) abstains: the top two classes are too close for its "
            "test to decide with this N. That is not a change of the smoothed classifier's prediction"
            + ("; the certificate stands." if inside else ".")
        )
    elif held:
        outcome = f"PREDICT at x + δ (N = {n:,}, α = {alpha:g}) {after}, as at x: the prediction stood."
    elif inside:
        outcome = (
            f"PREDICT at x + δ (N = {n:,}, α = {alpha:g}) {after}, not {name}. Inside a certified region this "
            "happens only with probability ≤ α (a wrong certificate or a wrong PREDICT); try another seed."
        )
    else:
        outcome = f"PREDICT at x + δ (N = {n:,}, α = {alpha:g}) {after}, not {name}: the attack broke through."
    return Verdict(inside, held, f"{where}. {outcome}")
