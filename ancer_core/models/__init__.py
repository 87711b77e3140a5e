"""Base classifiers: architectures, the shipped models with their cards, checkpoints, training
with noise augmentation, and how fast a model runs on a device."""

from .architectures import (
    ARCH_NOTES,
    ARCHITECTURES,
    CifarResNet,
    NormalizeLayer,
    SmallCNN,
    build_model,
    count_parameters,
)
from .checkpoints import (
    MODEL_DIR,
    default_model_name,
    fold_batchnorm,
    for_inference,
    load_checkpoint,
    load_model,
    save_checkpoint,
    shipped_models,
    weights_fingerprint,
)
from .quantized import calibrate_int8, engine_available, int8_path, load_int8
from .speed import cpu_features, cpu_name, isa_caps, measure_throughput, timed
from .training import TrainConfig, evaluate_smoothed, train

__all__ = [
    "ARCH_NOTES",
    "ARCHITECTURES",
    "CifarResNet",
    "NormalizeLayer",
    "SmallCNN",
    "build_model",
    "count_parameters",
    "MODEL_DIR",
    "default_model_name",
    "fold_batchnorm",
    "for_inference",
    "load_checkpoint",
    "load_model",
    "save_checkpoint",
    "shipped_models",
    "weights_fingerprint",
    "measure_throughput",
    "timed",
    "TrainConfig",
    "evaluate_smoothed",
    "train",
    "calibrate_int8",
    "engine_available",
    "int8_path",
    "load_int8",
    "cpu_features",
    "isa_caps",
    "cpu_name",
]
