"""The paper's core: noises (§4), statistics and CERTIFY (Cohen et al.), certificates and their
metrics (§5), the per-sample optimizers and their surrogate (§6, Appendix C), the protocol that chains
them, and memory-based certification. Imports nothing from the rest of the package. Each name is
imported from its module on first use (``ancer_core._lazy``)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "ABSTAIN": ".certificate",
    "Certificate": ".certificate",
    "CertificationMemory": ".memory",
    "GAUSSIAN": ".noise",
    "UNIFORM": ".noise",
    "GaussianNoise": ".noise",
    "Noise": ".noise",
    "UniformNoise": ".noise",
    "noise_for": ".noise",
    "smoothing_theta": ".noise",
    "uniform_half_width": ".noise",
    "PRECISIONS": ".precision",
    "OPTIMIZER_PRECISIONS": ".precision",
    "autocast": ".precision",
    "autocast_dtype": ".precision",
    "check_precisions": ".precision",
    "offered_precisions": ".precision",
    "certify_config": ".precision",
    "default_device": ".precision",
    "default_optimizer_precision": ".precision",
    "native_bf16": ".precision",
    "cpu_features": ".precision",
    "OptimizationResult": ".optimize",
    "ancer": ".optimize",
    "fixed_theta": ".optimize",
    "isotropic_dd": ".optimize",
    "isotropic_dd_scalar": ".isotropic_dd_solver",
    "DEFAULT_THETA_MAX_RATIO": ".surrogate",
    "OBJECTIVE_BOUND": ".surrogate",
    "OBJECTIVE_WORDS": ".surrogate",
    "ISO_SOLVERS": ".settings",
    "METHODS": ".settings",
    "OPTIMIZED": ".settings",
    "METHOD_LABELS": ".settings",
    "PRESETS": ".settings",
    "MethodResult": ".protocol",
    "Settings": ".settings",
    "describe_surrogate": ".settings",
    "optimize_theta": ".protocol",
    "preset": ".settings",
    "run_all_methods": ".protocol",
    "warm_up": ".protocol",
    "work_estimate": ".settings",
    "stage_work": ".settings",
    "SamplingConfig": ".precision",
    "certify": ".smoothing",
    "predict": ".smoothing",
    "lower_confidence_bound": ".stats",
    "upper_confidence_bound": ".stats",
    "samples_to_certify": ".stats",
    "SAMPLINGS": ".settings",
    "STOP_REASONS": ".sequential",
    "SequentialRule": ".sequential",
    "predict_pvalue": ".stats",
    "OBJECTIVES": ".surrogate",
    "Surrogate": ".surrogate",
    "class_curves": ".surrogate",
    "unit_draws": ".surrogate",
    "AncerInputError": ".validation",
    "NonFiniteOutputError": ".validation",
}
if TYPE_CHECKING:  # the names as static tools (an editor, an import graph) see them; at run time they load on first use
    from .certificate import ABSTAIN, Certificate
    from .isotropic_dd_solver import isotropic_dd_scalar
    from .memory import CertificationMemory
    from .noise import (
        GAUSSIAN,
        UNIFORM,
        GaussianNoise,
        Noise,
        UniformNoise,
        noise_for,
        smoothing_theta,
        uniform_half_width,
    )
    from .optimize import OptimizationResult, ancer, fixed_theta, isotropic_dd
    from .precision import (
        OPTIMIZER_PRECISIONS,
        PRECISIONS,
        SamplingConfig,
        autocast,
        autocast_dtype,
        certify_config,
        check_precisions,
        cpu_features,
        default_device,
        default_optimizer_precision,
        native_bf16,
        offered_precisions,
    )
    from .protocol import MethodResult, optimize_theta, run_all_methods, warm_up
    from .sequential import STOP_REASONS, SequentialRule
    from .settings import (
        ISO_SOLVERS,
        METHOD_LABELS,
        METHODS,
        OPTIMIZED,
        PRESETS,
        SAMPLINGS,
        Settings,
        describe_surrogate,
        preset,
        stage_work,
        work_estimate,
    )
    from .smoothing import certify, predict
    from .stats import lower_confidence_bound, predict_pvalue, samples_to_certify, upper_confidence_bound
    from .surrogate import (
        DEFAULT_THETA_MAX_RATIO,
        OBJECTIVE_BOUND,
        OBJECTIVE_WORDS,
        OBJECTIVES,
        Surrogate,
        class_curves,
        unit_draws,
    )
    from .validation import AncerInputError, NonFiniteOutputError

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
