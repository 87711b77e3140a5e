"""Checkpoints: the shipped models and their cards, loading, saving, and the inference form
(BatchNorm folded, channels-last on a CPU) that certification runs.

A checkpoint is ``{'arch', 'state_dict', 'card'}`` (half-precision weights), with its model card
beside it as JSON. The shipped models live in ``weights/`` inside this package.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
from pathlib import Path

import torch
import torch.nn as nn

from ..core.noise import noise_for
from ..core.validation import AncerInputError
from .architectures import ARCHITECTURES, build_model
from .cards import MODEL_DIR, shipped_models


def _strip_prefixes(state: dict) -> dict:
    """Accept checkpoints saved from DataParallel (``module.``) wrappers."""
    out = {}
    for k, v in state.items():
        for pre in ("module.",):
            k = k.replace(pre, "", 1) if k.startswith(pre) else k
        k = k.replace("1.module.", "1.", 1)
        out[k] = v
    return out


# card keys that describe one loaded copy of a checkpoint, not the checkpoint: never saved
_TRANSIENT_CARD_KEYS = ("path", "weights_sha256", "batchnorm_folded")


def weights_fingerprint(model: torch.nn.Module) -> str:
    """SHA-256 of a model's parameters and buffers (names, shapes, fp32 values): identifies the
    network behind a result file or an int8 calibration, whatever the card says."""
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(str(tuple(v.shape)).encode())
        h.update(v.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


DEFAULT_SIGMA = 0.25  # the σ a page or a lecture starts from when none is named


def ranked_models(norm: str, sigma: float = DEFAULT_SIGMA) -> list[str]:
    """The shipped models in the order of preference for ``norm`` at ``sigma``: trained with ``norm``'s
    noise first, the small models first, then the σ nearest to ``sigma`` (the smaller on a tie). The
    command line's, the app's and a lecture's default model is the first."""
    noise, cards = noise_for(norm).name, shipped_models()
    return sorted(
        cards,
        key=lambda n: (
            cards[n].get("noise") != noise,
            not n.startswith("small-"),
            abs(cards[n]["sigma"] - sigma),
            cards[n]["sigma"],
        ),
    )


def default_model_name(norm: str, sigma: float = DEFAULT_SIGMA) -> tuple[str, float]:
    """The first of :func:`ranked_models` for ``norm`` at ``sigma`` if it was trained with ``norm``'s noise,
    and its training σ."""
    noise, cards = noise_for(norm).name, shipped_models()
    ranked = [n for n in ranked_models(norm, sigma) if cards[n].get("noise") == noise]
    if not ranked:
        raise AncerInputError(
            f"no shipped model for {noise} noise in {MODEL_DIR}; train one with "
            "`python -m ancer_core train` and pass --model PATH"
        )
    return ranked[0], float(cards[ranked[0]]["sigma"])


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise AncerInputError(
            f"checkpoint {str(path)!r} does not exist (give a shipped model name — "
            f"see `python -m ancer_core models` — or the path of a .pt/.pth file)"
        )
    try:  # weights_only: never execute code from a checkpoint; TorchVersion is a plain str subclass
        with torch.serialization.safe_globals([torch.torch_version.TorchVersion]):
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated, not a torch file, or one whose loading would run code
        why = (
            "it holds Python objects beyond tensors, and loading those could run code"
            if isinstance(e, pickle.UnpicklingError)
            else f"it is truncated or not a PyTorch checkpoint ({type(e).__name__})"
        )
        raise AncerInputError(
            f"could not read checkpoint {str(path)!r}: {why}; give a file that `train` or "
            "torch.save({'arch': …, 'state_dict': …}) wrote"
        ) from None
    fix = "give a file that `train` or torch.save({'arch': NAME, 'state_dict': model.state_dict()}) wrote"
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise AncerInputError(
            f"{str(path)!r} is not a checkpoint dict with a 'state_dict' key "
            "(expected {'arch': NAME, 'state_dict': …})"
        )
    state = ckpt["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise AncerInputError(f"{str(path)!r}: its 'state_dict' is not a mapping of names to tensors; {fix}")
    if not isinstance(ckpt.get("card", {}), dict):
        raise AncerInputError(f"{str(path)!r}: its 'card' is a {type(ckpt['card']).__name__}, not a dict; {fix}")
    if "arch" in ckpt and not isinstance(ckpt["arch"], str):
        raise AncerInputError(f"{str(path)!r}: its 'arch' is not a name; {fix}")
    return ckpt


# modules whose forward applies each ``bnK`` right after ``convK`` (and nothing between): their pairs fold
_ATTRIBUTE_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))
_FOLDABLE = {
    ("ancer_core.models.architectures", "_CifarBasicBlock"),
    ("ancer_core.models.architectures", "CifarResNet"),
    ("torchvision.models.resnet", "BasicBlock"),
    ("torchvision.models.resnet", "Bottleneck"),
    ("torchvision.models.resnet", "ResNet"),
}


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of an eval-mode ``model`` with every BatchNorm folded into the convolution before it
    (``torch.nn.utils.fusion.fuse_conv_bn_eval``): the same function up to float rounding (logits
    differ by ~1e-6), one memory pass fewer per layer (faster forward and input-gradient passes; see
    docs/performance.md). For inference and θ optimization only: the copy has no BatchNorm left to
    train. Folded where the structure says a BatchNorm follows its convolution directly: consecutive
    children of an ``nn.Sequential``, and the ``convK``/``bnK`` pairs of the ResNet blocks here. No
    tracing: ``torch.fx`` patches ``nn.Module.__call__`` for the whole process while it traces, which broke
    another page's model running at that moment in the app's server."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fused = copy.deepcopy(model).eval()
    folded = 0
    for module in list(fused.modules()):
        pairs = []
        if isinstance(module, nn.Sequential):
            names = list(module._modules)
            pairs = list(zip(names, names[1:]))
        elif (type(module).__module__, type(module).__name__) in _FOLDABLE:
            pairs = list(_ATTRIBUTE_PAIRS)
        for conv_name, bn_name in pairs:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Identity())
                folded += 1
    if not folded:
        return model
    fused.card = dict(getattr(model, "card", {}), batchnorm_folded=True)
    if hasattr(model, "input_shape"):
        fused.input_shape = model.input_shape
    return fused.eval()


def load_model(
    name_or_path: str | os.PathLike, device: str | torch.device = "cpu", arch: str | None = None, fold_bn: bool = True
) -> nn.Module:
    """Load a shipped model by name, or a checkpoint ``{'arch', 'state_dict'}`` by path.

    Returns the model in eval mode on ``device``; it maps N×3×32×32 images in [0, 1] to logits.
    Its model card (dict) is attached as ``model.card``, with the checkpoint's ``path`` and its
    weights' :func:`weights_fingerprint` (``weights_sha256``, taken before any folding) added.
    ``arch`` overrides a checkpoint's own.
    ``fold_bn`` (default) folds BatchNorm into the convolutions (:func:`fold_batchnorm`), for
    certification and optimization; pass ``fold_bn=False`` for the checkpoint's own module
    structure (to save, fine-tune or inspect it).
    """
    name = str(name_or_path)
    path = MODEL_DIR / f"{name}.pt" if (MODEL_DIR / f"{name}.pt").is_file() else Path(name)
    if not path.is_file() and not (name.endswith(".pt") or name.endswith(".pth") or os.sep in name):
        known = ", ".join(shipped_models()) or "none"
        raise AncerInputError(
            f"model {name!r} is neither a shipped model ({known}) nor an existing file; give one of those names "
            "or the path of a checkpoint"
        )
    ckpt = load_checkpoint(path)
    a = arch or ckpt.get("arch")
    if a not in ARCHITECTURES:
        raise AncerInputError(
            f"checkpoint {str(path)!r} has arch={a!r}; known architectures: "
            f"{', '.join(ARCHITECTURES)} (pass arch=… to override)"
        )
    model = build_model(a)
    state = {k: v.float() if v.is_floating_point() else v for k, v in _strip_prefixes(ckpt["state_dict"]).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise AncerInputError(
            f"checkpoint {str(path)!r} does not match architecture {a!r}: {str(e).splitlines()[0][:300]}"
        ) from None
    bad = [k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise AncerInputError(
            f"checkpoint {str(path)!r} has NaN or infinite weights ({', '.join(bad[:3])}"
            f"{', …' if len(bad) > 3 else ''}): the training that made it diverged; train it again (e.g. with a "
            "smaller --lr) — a network that answers NaN cannot be certified"
        )
    model.card = dict(ckpt.get("card", {}), arch=a, path=str(path), weights_sha256=weights_fingerprint(model))
    return for_inference(model, device, fold_bn)


def for_inference(model: nn.Module, device: str | torch.device, fold_bn: bool = True) -> nn.Module:
    """``model`` on ``device`` in eval mode, as :func:`load_model` returns it: BatchNorm folded
    (when ``fold_bn``) and, on a CPU, channels-last convolution weights, oneDNN's fast layout there
    (docs/performance.md); the same function either way."""
    model = model.to(device).eval()
    if fold_bn:
        model = fold_batchnorm(model)
    if torch.device(device).type == "cpu":
        model = model.to(memory_format=torch.channels_last)
    return model


def save_checkpoint(model: torch.nn.Module, arch: str, card: dict, out: str | Path, half: bool = True) -> None:
    """``{'arch', 'state_dict', 'card'}`` (half precision weights when ``half``) + ``.json`` card."""
    if getattr(model, "card", {}).get("batchnorm_folded"):
        raise AncerInputError(
            "this model has its BatchNorm folded into its convolutions and no longer matches its "
            "architecture; load it with load_model(…, fold_bn=False) to save it"
        )
    out = Path(out)
    card = {k: v for k, v in card.items() if k not in _TRANSIENT_CARD_KEYS}
    state = {
        k: (v.half() if half and v.is_floating_point() and v.dtype == torch.float32 else v).cpu()
        for k, v in model.state_dict().items()
    }
    tmp = out.with_suffix(".tmp")
    torch.save({"arch": arch, "state_dict": state, "card": card}, tmp)
    tmp.replace(out)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2))
