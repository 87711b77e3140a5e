"""Base classifiers: architectures, the shipped models with their cards, checkpoints, training
with noise augmentation, and how fast a model runs on a device. Each name is imported from its
module on first use (``ancer_core._lazy``): listing the shipped models loads no network code."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "ARCHITECTURES": ".architectures",
    "CifarResNet": ".architectures",
    "NormalizeLayer": ".architectures",
    "SmallCNN": ".architectures",
    "build_model": ".architectures",
    "count_parameters": ".architectures",
    "ARCH_NOTES": ".cards",
    "MODEL_DIR": ".cards",
    "shipped_models": ".cards",
    "DEFAULT_SIGMA": ".checkpoints",
    "default_model_name": ".checkpoints",
    "ranked_models": ".checkpoints",
    "fold_batchnorm": ".checkpoints",
    "for_inference": ".checkpoints",
    "load_checkpoint": ".checkpoints",
    "load_model": ".checkpoints",
    "save_checkpoint": ".checkpoints",
    "weights_fingerprint": ".checkpoints",
    "Certifying": ".certifying_network",
    "certifying": ".certifying_network",
    "calibrate_int8": ".quantized",
    "engine_available": ".quantized",
    "int8_path": ".quantized",
    "int8_ready": ".quantized",
    "hardware": ".speed",
    "load_int8": ".quantized",
    "cpu_features": ".speed",
    "cpu_name": ".speed",
    "duration": ".speed",
    "isa_caps": ".speed",
    "measure_throughput": ".speed",
    "timed": ".speed",
    "TrainConfig": ".training",
    "fit_temperature": ".temperature",
    "noisy_logits": ".temperature",
    "train": ".training",
}
if TYPE_CHECKING:  # the names as static tools (an editor, an import graph) see them; at run time they load on first use
    from .architectures import ARCHITECTURES, CifarResNet, NormalizeLayer, SmallCNN, build_model, count_parameters
    from .cards import ARCH_NOTES, MODEL_DIR, shipped_models
    from .certifying_network import Certifying, certifying
    from .checkpoints import (
        DEFAULT_SIGMA,
        default_model_name,
        fold_batchnorm,
        for_inference,
        load_checkpoint,
        load_model,
        ranked_models,
        save_checkpoint,
        weights_fingerprint,
    )
    from .quantized import calibrate_int8, engine_available, int8_path, int8_ready, load_int8
    from .speed import cpu_features, cpu_name, duration, hardware, isa_caps, measure_throughput, timed
    from .temperature import fit_temperature, noisy_logits
    from .training import TrainConfig, train

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
