"""Input checks shared by the library, the CLI and the app.

Every check raises :class:`AncerInputError` (a ``ValueError``) whose message names the argument,
what it received and what is allowed, *before* any expensive work starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .errors import AncerInputError

NORMS = ("l2", "l1")


def check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float)) and 0.0 < float(alpha) < 1.0):
        raise AncerInputError(
            f"alpha={alpha!r} must be a failure probability strictly between 0 and 1 (the paper uses 0.001)"
        )
    return float(alpha)


def check_count(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the original crashed on '1e5'-style counts; accept integral floats
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise AncerInputError(f"{name}={value!r} must be an integer ≥ {minimum}")
    return value


def check_positive(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise AncerInputError(f"{name}={value!r} must be a finite number > 0")
    return float(value)


def check_images(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Inputs must be a float batch B×… (B×C×H×W for images, B×d for toy data), B ≥ 1."""
    if not isinstance(x, torch.Tensor):
        raise AncerInputError(f"{name} must be a torch.Tensor of shape B×C×H×W, got {type(x).__name__}")
    if x.dim() < 2 or x.shape[0] == 0 or x[0].numel() == 0:
        raise AncerInputError(
            f"{name} must have a batch dimension: shape B×C×H×W (or B×d), B ≥ 1; got "
            f"{tuple(x.shape)} — use x.unsqueeze(0) for a single image"
        )
    if not x.is_floating_point():
        raise AncerInputError(f"{name} must be floating point in [0, 1], got dtype {x.dtype}")
    if not torch.isfinite(x).all():
        raise AncerInputError(f"{name} contains NaN or infinite values")
    return x


def check_theta(theta: torch.Tensor | float | Sequence[float], x: torch.Tensor, name: str = "theta") -> torch.Tensor:
    """Broadcast θ to one of the two supported layouts and validate it.

    Accepted: a Python/0-d scalar (same θ for every image), a vector of length B (one isotropic θ
    per image), or a tensor of shape B×C×H×W / C×H×W (anisotropic, one θ per pixel and channel).
    Returns a float tensor on ``x.device`` of shape ``(B,)`` or ``(B, C, H, W)``.
    """
    b = x.shape[0]
    t = torch.as_tensor(theta, dtype=x.dtype, device=x.device)
    if t.dim() == 0:
        t = t.expand(b).clone()
    elif t.dim() == 1 and t.shape[0] == b:
        pass
    elif t.shape == x.shape[1:]:
        t = t.unsqueeze(0).expand_as(x).clone()
    elif t.shape != x.shape:
        raise AncerInputError(
            f"{name} has shape {tuple(t.shape)}; expected a scalar, ({b},) or "
            f"{tuple(x.shape)} (one value per pixel and channel) for x of shape {tuple(x.shape)}"
        )
    if not torch.isfinite(t).all() or (t <= 0).any():
        raise AncerInputError(f"{name} must be finite and > 0 everywhere (min={t.min().item():.4g})")
    return t
