"""The paper's core: noises (§4), statistics and CERTIFY (Cohen et al.), certificates and their
metrics (§5), the per-sample optimizers and their surrogate (§6, Appendix C), the protocol that chains
them, and memory-based certification. Imports nothing from the rest of the package. Each name is
imported from its module on first use (``ancer_core._lazy``)."""

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
    "autocast_dtype": ".precision",
    "certify_config": ".precision",
    "default_device": ".precision",
    "default_optimizer_precision": ".precision",
    "native_bf16": ".precision",
    "cpu_features": ".precision",
    "OptimizationResult": ".optimize",
    "ancer": ".optimize",
    "fixed_theta": ".optimize",
    "isotropic_dd": ".optimize",
    "isotropic_dd_scalar": ".scalar",
    "DEFAULT_THETA_MAX_RATIO": ".protocol",
    "ISO_SOLVERS": ".protocol",
    "METHODS": ".protocol",
    "PRESETS": ".protocol",
    "MethodResult": ".protocol",
    "Settings": ".protocol",
    "describe_surrogate": ".protocol",
    "optimize_theta": ".protocol",
    "preset": ".protocol",
    "run_all_methods": ".protocol",
    "warm_up": ".protocol",
    "work_estimate": ".protocol",
    "SamplingConfig": ".smoothing",
    "certify": ".smoothing",
    "predict": ".smoothing",
    "lower_confidence_bound": ".stats",
    "predict_pvalue": ".stats",
    "OBJECTIVES": ".surrogate",
    "Surrogate": ".surrogate",
    "class_curves": ".surrogate",
    "unit_draws": ".surrogate",
    "AncerInputError": ".validation",
    "NonFiniteOutputError": ".validation",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
