"""The paper's core: noises (§4), statistics and CERTIFY (Cohen et al.), certificates and their
metrics (§5), the per-sample optimizers (§6, Appendix C), the protocol that chains them, and
memory-based certification. Imports nothing from the rest of the package."""

from .certificate import ABSTAIN, Certificate
from .memory import CertificationMemory
from .noise import GAUSSIAN, UNIFORM, GaussianNoise, Noise, UniformNoise, noise_for, smoothing_theta, uniform_half_width
from .optimize import OptimizationResult, ancer, fixed_theta, isotropic_dd, isotropic_dd_scalar
from .protocol import (
    ISO_SOLVERS,
    METHODS,
    PRESETS,
    MethodResult,
    Settings,
    optimize_theta,
    preset,
    run_all_methods,
    work_estimate,
)
from .smoothing import SamplingConfig, certify, predict
from .stats import lower_confidence_bound, predict_pvalue
from .surrogate import OBJECTIVES, class_curves, unit_draws
from .validation import AncerInputError

__all__ = [
    "ABSTAIN",
    "Certificate",
    "CertificationMemory",
    "GAUSSIAN",
    "UNIFORM",
    "GaussianNoise",
    "Noise",
    "UniformNoise",
    "noise_for",
    "smoothing_theta",
    "uniform_half_width",
    "OptimizationResult",
    "ancer",
    "fixed_theta",
    "isotropic_dd",
    "isotropic_dd_scalar",
    "ISO_SOLVERS",
    "OBJECTIVES",
    "class_curves",
    "unit_draws",
    "METHODS",
    "PRESETS",
    "MethodResult",
    "Settings",
    "optimize_theta",
    "preset",
    "run_all_methods",
    "work_estimate",
    "SamplingConfig",
    "certify",
    "predict",
    "AncerInputError",
    "lower_confidence_bound",
    "predict_pvalue",
]
