"""The optimizers' smoothed surrogate (paper §6, Appendix C) and the choice of what it maximises.

The data-dependent optimizers do not see CERTIFY's hard votes: they maximise a Monte Carlo
estimate of the smoothed *soft* classifier, the mean softmax over noisy copies x + θ ⊙ u. Two
choices shape where θ goes, and neither touches what CERTIFY counts (hard votes of the unchanged
network), so every certificate stays sound whatever is chosen:

* the **objective** — ``"paper"``: the gap between the surrogate's top two classes, whichever
  they are at the current θ (the paper's and the original code's); ``"anchored"``: the gap
  between the class the surrogate predicts at the *start* θ and the best other class, so that
  the optimizer grows the region of that answer instead of moving to a θ where the network
  answers another class for any input (an *attractor class*; docs/results.md);
* the **temperature** T: the softmax of logits / T. An overconfident network (top softmax
  probability near 1 under noise) gives the surrogate steep gradients and an objective that
  rewards noise under which it answers one class confidently; T > 1 softens both.

:func:`class_curves` evaluates the surrogate of every class over a grid of θ with common random
numbers — the same unit noise u at every θ — in batched passes without gradients: the curve the
scalar Isotropic DD solver maximises, and the diagnosis of attractor classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .noise import Noise, noise_for, scale_for
from .validation import AncerInputError, check_logits

OBJECTIVES = ("paper", "anchored")
CPU_OPTIMIZER_PASS = 512  # noisy images per optimizer pass on a CPU (:func:`optimizer_pass`)
OBJECTIVE_WORDS = {
    "anchored": "anchored: the gap of the class the surrogate answers at the initial noise (default)",
    "paper": "the paper's: the gap between the top two classes, whichever they are",
}

# The bound on θ, as a multiple of the start θ, is part of the objective's definition unless a run sets
# it: the anchored objective keeps θ ≤ 2 θ₀ (beyond twice its training noise every shipped network
# answers mostly one class whatever the image: results/attractors.json, docs/results.md), the paper's
# leaves θ unbounded as the authors did. ``None`` is "unbounded" everywhere (``none`` on the command line).
OBJECTIVE_BOUND = "objective's default"
DEFAULT_THETA_MAX_RATIO = 2.0
_BOUND_RATIO = {"anchored": DEFAULT_THETA_MAX_RATIO, "paper": None}


def check_objective(objective: str, temperature: float) -> None:
    if objective not in OBJECTIVES:
        raise AncerInputError(f"objective={objective!r}; use one of {', '.join(OBJECTIVES)}")
    if not (temperature > 0 and temperature < float("inf")):
        raise AncerInputError(f"temperature={temperature!r} must be a positive number (1 = the network's softmax)")


def is_anchored(objective: str) -> bool:
    """Whether ``objective`` keeps the class of the start θ (the anchored objective) or takes the top two."""
    check_objective(objective, 1.0)
    return objective == "anchored"


def bound_ratio(objective: str, ratio: float | None | str = OBJECTIVE_BOUND) -> float | None:
    """The bound on θ as a multiple of the start θ: ``ratio`` when given (None: unbounded), else the
    objective's own (:data:`OBJECTIVE_BOUND`)."""
    check_objective(objective, 1.0)
    if isinstance(ratio, str):
        if ratio != OBJECTIVE_BOUND:
            raise AncerInputError(f"theta_max_ratio={ratio!r}; use a number ≥ 1, None (unbounded) or the default")
        return _BOUND_RATIO[objective]
    if ratio is not None and not ratio >= 1:
        raise AncerInputError(f"theta_max_ratio={ratio!r} must be ≥ 1 (θ may not start above it)")
    return None if ratio is None else float(ratio)


@dataclass(frozen=True)
class Surrogate:
    """What the optimizers maximise: the ``objective`` ("paper" or "anchored"), the softmax
    ``temperature``, and an upper bound ``theta_max`` on every θ (None: unbounded). The optimizers ask
    it which gap to take (:meth:`anchor_classes`) instead of comparing objective names."""

    objective: str = "paper"
    temperature: float = 1.0
    theta_max: float | None = None

    def __post_init__(self):
        check_objective(self.objective, self.temperature)

    @property
    def anchored(self) -> bool:
        return is_anchored(self.objective)

    def anchor_classes(self, given=None, probs_at_start: torch.Tensor | None = None) -> torch.Tensor | None:
        """The class per image whose gap the objective maximises: None for the paper's (the top two at
        every θ); for the anchored objective ``given`` when given, else the surrogate's answer at the
        start θ (``probs_at_start``, (B, classes)), else None (not known yet)."""
        if not self.anchored:
            return None
        if given is not None:
            device = None if probs_at_start is None else probs_at_start.device
            return torch.as_tensor(given, device=device).view(-1)
        return None if probs_at_start is None else probs_at_start.argmax(-1)

    def as_dict(self) -> dict:
        return {"objective": self.objective, "temperature": self.temperature, "theta_max": self.theta_max}


def soft_votes(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """The surrogate's per-sample class probabilities: softmax(logits / T), in fp32."""
    logits = check_logits(logits.float(), "the optimization of θ")
    return torch.softmax(logits if temperature == 1.0 else logits / temperature, dim=-1)


def gap_pair(probs: torch.Tensor, anchor: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 2): the two probabilities whose gap the objective uses — the top two (``anchor`` None,
    the paper's objective) or the anchored class's and the best other class's (may be in either order,
    so that the gap is negative where another class leads). ``anchor`` has ``probs``' shape but the last."""
    if anchor is None:
        return probs.topk(2, dim=-1).values
    at = anchor.to(probs.device, torch.long).unsqueeze(-1)
    p_a = probs.gather(-1, at)
    others = probs.scatter(-1, at, float("-inf"))
    return torch.cat([p_a, others.max(-1, keepdim=True).values], dim=-1)


def smoothed_probs(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta: torch.Tensor,
    norm: str | Noise,
    samples: int,
    generators: Sequence[torch.Generator],
    temperature: float = 1.0,
) -> torch.Tensor:
    """Monte Carlo mean of softmax(model(x + θ ⊙ u) / T) over ``samples`` draws (B, classes),
    differentiable in θ (reparameterization, u ~ 𝒩(0, I) or U[−1, 1])."""
    b, shape = x.shape[0], x.shape[1:]
    u = noise_for(norm).sample_unit_per_image(generators, samples, shape, x.device, x.dtype)
    xs = x.unsqueeze(1) + u * scale_for(theta, len(shape))  # (B, S, …)
    group = _images_per_pass(b, samples, optimizer_pass(x.device))
    logits = torch.cat([model(xs[i : i + group].reshape(-1, *shape)) for i in range(0, b, group)])
    return soft_votes(logits, temperature).view(b, samples, -1).mean(1)


def optimizer_pass(device: torch.device | str) -> int | None:
    """Noisy images per forward pass of the optimizers' surrogate (None: every image's copies in one pass).

    On a CPU at most :data:`CPU_OPTIMIZER_PASS`: the forward and backward passes run 10–30 % faster at a few
    hundred images than at thousands (docs/performance.md, "Where every second goes"). On CUDA one pass."""
    return None if torch.device(device).type == "cuda" else CPU_OPTIMIZER_PASS


def _images_per_pass(images: int, samples: int, cap: int | None) -> int:
    """Images whose ``samples`` noisy copies fit one pass of ``cap`` (at least one image; all when no cap).
    Each image's copies are its own, so grouping the images changes no value, only the passes' sizes."""
    return images if cap is None or images * samples <= cap else max(1, cap // samples)


def unit_draws(norm: str | Noise, generators: Sequence[torch.Generator], samples: int, x: torch.Tensor) -> torch.Tensor:
    """``samples`` unit noise draws per image (B, S, C, H, W), each image from its own generator."""
    return noise_for(norm).sample_unit_per_image(generators, samples, x.shape[1:], x.device, x.dtype)


@torch.inference_mode()
def class_curves(
    model: torch.nn.Module,
    x: torch.Tensor,
    thetas: torch.Tensor,
    u: torch.Tensor,
    temperature: float = 1.0,
    max_batch: int | None = None,
) -> dict[str, torch.Tensor]:
    """The surrogate of every class at each of K scalar θ per image, with common random numbers.

    ``thetas`` (B, K); ``u`` (B, S, …) from :func:`unit_draws`. The same draws serve every θ, so the
    curves are smooth in θ and their differences are not sampling noise. Returns ``probs``
    (B, K, classes): the mean softmax(logits / T), and ``votes`` (B, K, classes): the share of noisy
    copies the network classifies as each class (what CERTIFY counts, estimated on S draws).

    ``max_batch``: noisy images per forward pass (default: :func:`optimizer_pass`'s on a CPU; on CUDA as
    many θ values as fit 1,024 with every image in each pass); θ values and, beyond one θ, images are split
    across passes. Out of memory, the passes are
    halved down to one image's S copies; below that the error goes to the caller, which splits the images
    (``optimize_theta_split``)."""
    b, k = thetas.shape
    samples, shape = u.shape[1], x.shape[1:]
    cap = max_batch or optimizer_pass(x.device)  # None (CUDA): every image in each pass
    per = max(1, (cap or 1024) // max(1, b * samples))  # θ values per forward pass
    group = _images_per_pass(b, samples, cap)  # images per forward pass
    probs, votes = [], []
    try:
        for s in range(0, k, per):
            th = thetas[:, s : s + per].to(x.dtype)  # (B, k')
            kk = th.shape[1]
            scale = th.view(b, kk, 1, *([1] * len(shape)))
            xs = x.view(b, 1, 1, *shape) + scale * u.unsqueeze(1)  # (B, k', S, …)
            parts = [model(xs[i : i + group].reshape(-1, *shape)).float() for i in range(0, b, group)]
            logits = torch.cat(parts).view(b, kk, samples, -1)
            probs.append(soft_votes(logits, temperature).mean(2))
            votes.append(torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float().mean(2))
    except torch.OutOfMemoryError:
        if per == 1 and group == 1:
            raise
        if x.device.type == "cuda":
            torch.cuda.empty_cache()
        return class_curves(model, x, thetas, u, temperature, max_batch=max(1, (per * group * samples) // 2))
    return {"probs": torch.cat(probs, 1), "votes": torch.cat(votes, 1)}
