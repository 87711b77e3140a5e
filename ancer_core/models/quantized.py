"""int8 base classifiers for CERTIFY on CPUs (PyTorch's FX graph-mode post-training quantization).

A model is quantized once, calibrated on noisy *training* images at its own σ (the inputs CERTIFY
will show it), and the calibrated int8 weights are stored beside the checkpoint as
``NAME.int8.pt`` — so the installed package needs no training data. Loading rebuilds the same
graph from the float model and loads those weights, once per model and process.

A certificate computed with the int8 network is a statement about the int8 network as run: it is
a different base classifier from the fp32 one (their top-1 agree on most noisy inputs, not all).
The optimizers never need it: θ only has to be fixed before CERTIFY draws its samples.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import torch

from ..core.noise import noise_for
from ..core.validation import AncerInputError
from . import fx_threads
from .checkpoints import MODEL_DIR, load_model

ENGINE = "x86"  # oneDNN/FBGEMM kernels: VNNI and AMX where the CPU has them, AVX2 otherwise
# What is quantized: PyTorch's default x86 mapping (per-channel symmetric int8 weights, 7-bit
# activations, so that the 16-bit pair sums of the AVX2 kernels cannot saturate), except the
# nn.Linear layers, i.e. the classifier head, which stay fp32.
# Quantizing the logits to 8 bits merges near-tied classes, and argmax then picks the lower index:
# with the head in fp32, top-1 agreement with the fp32 network on noisy test images went from
# 97.5 % to 98.9 % (small-gaussian-0.50), at the cost of one 384 × 10 fp32 product per image.
SCHEME = "x86 default qconfig mapping; nn.Linear in fp32"


def engine_available() -> bool:
    return ENGINE in torch.backends.quantized.supported_engines


def _check_engine() -> None:
    if not engine_available():
        raise AncerInputError(
            f"this PyTorch build has no '{ENGINE}' quantized engine (it has "
            f"{', '.join(torch.backends.quantized.supported_engines)}); use --precision fp32 or bf16"
        )
    torch.backends.quantized.engine = ENGINE


def _fx():
    fx_threads.install()  # tracing here must not break a model another thread of the app runs meanwhile
    with warnings.catch_warnings():  # the FX quantization API is stable but marked for migration
        warnings.simplefilter("ignore")
        from torch.ao.quantization import get_default_qconfig_mapping
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    return get_default_qconfig_mapping(ENGINE).set_object_type(torch.nn.Linear, None), prepare_fx, convert_fx


def _prepared(model_fp32: torch.nn.Module) -> torch.nn.Module:
    mapping, prepare_fx, _ = _fx()
    model = model_fp32.eval().to("cpu", memory_format=torch.contiguous_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prepare_fx(model, mapping, (torch.rand(2, 3, 32, 32),))


def _convert(prepared: torch.nn.Module) -> torch.nn.Module:
    _, _, convert_fx = _fx()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return convert_fx(prepared).eval()


def int8_path(name_or_path: str | os.PathLike) -> Path:
    """Where the int8 weights of a shipped model (by name) or of a checkpoint (by path) live."""
    name = str(name_or_path)
    if not name.strip():
        raise AncerInputError("no model given: choose a shipped model or give the path of a checkpoint (.pt)")
    base = MODEL_DIR / f"{name}.pt" if (MODEL_DIR / f"{name}.pt").is_file() else Path(name)
    return base.with_suffix(".int8.pt")


def int8_ready(name_or_path: str | os.PathLike) -> bool:
    """Whether the int8 network of this model can run here: PyTorch's x86 quantized engine and the
    model's calibration file (``python -m ancer_core quantize``)."""
    if not str(name_or_path).strip():  # no path typed yet: nothing to calibrate
        return False
    return engine_available() and int8_path(name_or_path).is_file()


@torch.inference_mode()
def calibrate_int8(
    name_or_path: str | os.PathLike, images: torch.Tensor, batch: int = 128, seed: int = 0
) -> torch.nn.Module:
    """Quantize a model to int8, calibrating its activation ranges on ``images`` (N×3×32×32 in
    [0, 1], training images) with the model's own noise added, and save the int8 weights beside the
    checkpoint. Returns the int8 model."""
    _check_engine()
    float_model = load_model(name_or_path, "cpu", fold_bn=False)
    card = float_model.card
    noise = noise_for(card.get("noise", "gaussian"))
    theta = float(noise.theta_from_sigma(float(card.get("sigma", 0.25))))
    prepared = _prepared(float_model)
    gen = torch.Generator().manual_seed(seed)
    for s in range(0, len(images), batch):
        xb = images[s : s + batch]
        prepared(xb + theta * noise.sample_unit(xb.shape, "cpu", xb.dtype, gen))
    q = _convert(prepared)
    path = int8_path(name_or_path)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "state_dict": q.state_dict(),
            "calibration": {
                "images": len(images),
                "noise": noise.name,
                "theta": theta,
                "seed": seed,
                "engine": ENGINE,
                "weights_sha256": float_model.card["weights_sha256"],
                "scheme": SCHEME,
            },
        },
        tmp,
    )
    tmp.replace(path)
    load_int8.cache_clear()
    return q


@functools.lru_cache(maxsize=8)
def load_int8(name_or_path: str) -> torch.nn.Module:
    """The int8 model of a shipped model or checkpoint (its ``.int8.pt`` beside it), cached."""
    _check_engine()
    path = int8_path(name_or_path)
    if not path.is_file():
        raise AncerInputError(
            f"{name_or_path!r} has no int8 calibration ({path.name}); make one with `python -m ancer_core "
            f"quantize --model {name_or_path} --data-root PATH_TO_CIFAR10` (it needs the training split)"
        )
    try:
        with warnings.catch_warnings():  # quantized tensors still load through the deprecated TypedStorage
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True)  # data only: never runs code
        if not (isinstance(saved, dict) and isinstance(saved.get("calibration"), dict) and "state_dict" in saved):
            raise TypeError("not an int8 calibration")
    except Exception as e:
        raise AncerInputError(
            f"could not read the int8 calibration {str(path)!r} ({type(e).__name__}): it is truncated or not a file "
            f"`quantize` wrote; delete it and make it again with `python -m ancer_core quantize --model "
            f"{name_or_path} --data-root PATH_TO_CIFAR10`"
        ) from None
    if saved["calibration"].get("scheme") != SCHEME:
        raise AncerInputError(
            f"{path.name} was made by an earlier quantization scheme of this package (its network differs from "
            f"what `quantize` makes now); make it again with `python -m ancer_core quantize --model {name_or_path} "
            "--data-root PATH_TO_CIFAR10`"
        )
    float_model = load_model(name_or_path, "cpu", fold_bn=False)
    if saved["calibration"].get("weights_sha256") != float_model.card["weights_sha256"]:
        raise AncerInputError(
            f"{path.name} was calibrated for other weights than those of {name_or_path!r} (the model was "
            f"retrained or replaced); make it again with `python -m ancer_core quantize --model {name_or_path} "
            "--data-root PATH_TO_CIFAR10`"
        )
    q = _convert(_prepared(float_model))
    q.load_state_dict(saved["state_dict"])
    q.card = dict(float_model.card, int8_calibration=saved["calibration"])
    q.input_shape = getattr(float_model, "input_shape", None)
    return q
