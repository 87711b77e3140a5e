"""ancer_core — randomized smoothing with isotropic and anisotropic certificates (ANCER, TMLR 2022).

Main entry points: :func:`load_model`, :func:`load_cifar10`, :func:`certify`, :func:`predict`,
:func:`isotropic_dd`, :func:`ancer`, :class:`Certificate`, :class:`CertificationMemory`.
"""
from . import geometry, pipeline
from .certificate import ABSTAIN, Certificate
from .data import CLASSES, load_cifar10
from .memory import CertificationMemory
from .models import build_model, load_model, shipped_models
from .noise import smoothing_theta, uniform_half_width
from .optimize import ancer, fixed_theta, isotropic_dd
from .pipeline import PRESETS, Settings, optimize_theta, preset
from .smoothing import SamplingConfig, certify, predict
from .validation import AncerInputError

__all__ = ["geometry", "pipeline", "ABSTAIN", "Certificate", "CLASSES", "load_cifar10", "CertificationMemory", "build_model", "load_model",
           "shipped_models", "smoothing_theta", "uniform_half_width", "ancer", "fixed_theta", "isotropic_dd",
           "PRESETS", "Settings", "optimize_theta", "preset", "SamplingConfig", "certify", "predict",
           "AncerInputError"]
__version__ = "0.1.0"
