"""Input checks shared by the library, the CLI and the app.

Every check raises :class:`AncerInputError` (a ``ValueError``) whose message names the argument,
what it received and what is allowed, *before* any expensive work starts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch

from .errors import AncerInputError, NonFiniteOutputError

NORMS = ("l2", "l1")
# the largest count a run may name: sample counts are summed in int64, and beyond 2⁶² a budget can
# neither be counted nor finished (an estimate refuses far smaller ones: cli.common.announce_estimate)
MAX_COUNT = 2**62
MAX_SEED = 2**63 - 1
PIXEL_TOLERANCE = 1e-6  # images are in [0, 1]; a float round-off beyond it is not a pixel


def _real(value) -> float | None:
    """``value`` as a Python float when it is a real number (numpy scalars and 0-d tensors too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex:
        value = value.item()
    return float(value) if isinstance(value, numbers.Real) else None


def check_alpha(alpha: float) -> float:
    a = _real(alpha)
    if a is None or not 0.0 < a < 1.0:
        raise AncerInputError(
            f"alpha={alpha!r} must be a failure probability strictly between 0 and 1 (the paper uses 0.001)"
        )
    return a


def check_count(name: str, value: int, minimum: int = 1, maximum: int = MAX_COUNT) -> int:
    """An integer count in [minimum, maximum]; integral floats (``1e5``) and numpy integers are accepted."""
    v = _real(value)
    if v is not None and not isinstance(value, numbers.Integral):
        value = int(v) if math.isfinite(v) and v.is_integer() else value  # '1e5'-style counts
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
        if minimum <= value <= maximum:
            return value
        if value > maximum:
            raise AncerInputError(f"{name}={value!r} is too large to count or finish; use at most {maximum:,}")
    raise AncerInputError(f"{name}={value!r} must be an integer ≥ {minimum}")


def check_seed(seed: int, name: str = "seed") -> int:
    """A run seed: an integer in 0 … 2⁶³ − 1 (NumPy's SeedSequence takes no negative entropy)."""
    try:
        return check_count(name, seed, 0, MAX_SEED)
    except AncerInputError:
        raise AncerInputError(f"{name}={seed!r} must be an integer from 0 to {MAX_SEED} (e.g. 0)") from None


def check_positive(name: str, value: float) -> float:
    v = _real(value)
    if v is None or not (math.isfinite(v) and v > 0):
        raise AncerInputError(f"{name}={value!r} must be a finite number > 0")
    return v


def check_nonnegative(name: str, value: float, hint: str = "") -> float:
    """A finite number ≥ 0 (a weight such as κ or a regularizer's); ``hint`` ends the message."""
    v = _real(value)
    if v is None or not (math.isfinite(v) and v >= 0):
        raise AncerInputError(f"{name}={value!r} must be a finite number ≥ 0{hint}")
    return v


def check_logits(logits: torch.Tensor, where: str) -> torch.Tensor:
    """Refuse a forward pass whose logits are not all finite: the argmax of NaN logits is class 0, so
    a broken network would otherwise be certified for class 0 with any p̲A."""
    if not bool(torch.isfinite(logits).all()):
        raise NonFiniteOutputError(
            f"the network returned NaN or infinite logits during {where}: its weights are broken (check the "
            "checkpoint, e.g. a training run that diverged) or a reduced precision overflowed (use --precision "
            "fp32 or bf16); no certificate is issued from such outputs"
        )
    return logits


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
    if x.dtype == torch.float64:  # the networks run in float32 (or lower, under autocast): the same images
        x = x.float()
    if not torch.isfinite(x).all():
        raise AncerInputError(f"{name} contains NaN or infinite values")
    if x.dim() == 4:  # images live in [0, 1] pixel space, where the noise is added
        lo, hi = float(x.min()), float(x.max())
        if lo < -PIXEL_TOLERANCE or hi > 1 + PIXEL_TOLERANCE:
            hint = " — it looks like 0–255 pixels: divide by 255" if hi > 1.5 and lo >= 0 else ""
            raise AncerInputError(
                f"{name} has values in [{lo:.4g}, {hi:.4g}]; images must be in [0, 1] (unnormalized: the model "
                f"normalizes them itself){hint}"
            )
    return x


def check_model_input(model: torch.nn.Module, x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Images against the input the model was built for (``model.input_shape``, e.g. (3, 32, 32) for
    the CIFAR-10 architectures; models without it are not checked): a 1-channel or 64×64 batch would
    otherwise run, broadcast or pooled, and be certified for an input the network never saw."""
    want = getattr(model, "input_shape", None)
    if want is not None and tuple(x.shape[1:]) != tuple(want):
        c, *hw = want
        raise AncerInputError(
            f"{name} has shape {tuple(x.shape)}: this model takes B×{c}×{'×'.join(map(str, hw))} images "
            f"({c} channels, {'×'.join(map(str, hw))} pixels, values in [0, 1]); convert or resize the images"
        )
    return x


_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def check_theta(theta: torch.Tensor | float | Sequence[float], x: torch.Tensor, name: str = "theta") -> torch.Tensor:
    """Broadcast θ to one of the two supported layouts and validate it.

    Accepted: a Python/0-d scalar (same θ for every image), a vector of length B (one isotropic θ
    per image), or a tensor of shape B×C×H×W / C×H×W (anisotropic, one θ per pixel and channel).
    Returns a float tensor on ``x.device`` of shape ``(B,)`` or ``(B, C, H, W)``.
    """
    b = x.shape[0]
    bad = f"{name} must be a number > 0 or a tensor of them (one per image, or per pixel and channel), got"
    if isinstance(theta, (str, bytes, bool)):
        raise AncerInputError(f"{bad} {theta!r}")
    try:
        t = torch.as_tensor(theta)
    except (TypeError, ValueError, RuntimeError):
        raise AncerInputError(f"{bad} {type(theta).__name__} {str(theta)[:40]!r}") from None
    if t.dtype == torch.bool or t.is_complex() or not (t.is_floating_point() or t.dtype in _INTEGER_DTYPES):
        raise AncerInputError(f"{bad} a tensor of dtype {t.dtype}")
    t = t.to(dtype=x.dtype, device=x.device)
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
    bad = ~(torch.isfinite(t) & (t > 0)).reshape(t.shape[0], -1).all(1)
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        row = t[k].reshape(-1)
        worst = row[~(torch.isfinite(row) & (row > 0))][0].item()
        said = "infinite in float32 (above 3.4e38)" if worst == float("inf") else f"{worst:.4g}"
        raise AncerInputError(
            f"{name} must be finite and > 0 everywhere; image {k} of the batch holds {said} "
            f"({int(bad.sum())} image(s) in all): give θ > 0 that float32 represents"
        )
    return t
