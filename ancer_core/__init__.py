"""ancer_core — randomized smoothing with isotropic and anisotropic certificates (ANCER, TMLR 2022).

Layers, each a subpackage that imports only the ones below it:

* :mod:`ancer_core.core` — the paper: noises (§4), CERTIFY and certificates (§5), the optimizers
  and the protocol (§6), memory-based certification;
* :mod:`ancer_core.data` — CIFAR-10 and result files; :mod:`ancer_core.models` — architectures,
  shipped models, training; :mod:`ancer_core.teaching` — 2D toy smoothing, region geometry, Hessians;
* :mod:`ancer_core.cli` — the command line.

Main entry points: :func:`load_model`, :func:`load_cifar10`, :func:`certify`, :func:`predict`,
:func:`isotropic_dd`, :func:`ancer`, :func:`run_all_methods`, :class:`Certificate`, :func:`noise_for`.
"""

from types import SimpleNamespace

from .core import (
    ABSTAIN,
    GAUSSIAN,
    ISO_SOLVERS,
    METHODS,
    OBJECTIVES,
    PRESETS,
    UNIFORM,
    AncerInputError,
    Certificate,
    CertificationMemory,
    MethodResult,
    Noise,
    SamplingConfig,
    Settings,
    ancer,
    certify,
    fixed_theta,
    isotropic_dd,
    isotropic_dd_scalar,
    noise_for,
    optimize_theta,
    predict,
    preset,
    run_all_methods,
    smoothing_theta,
    uniform_half_width,
    work_estimate,
)
from .core.protocol import optimize_theta_split
from .data import CLASSES, export_results, load_cifar10, read_results
from .models import build_model, load_model, measure_throughput, shipped_models, timed
from .teaching import regions as geometry

# the former module ``pipeline`` under its old name, so that code written against 0.1 keeps working
pipeline = SimpleNamespace(
    PRESETS=PRESETS,
    Settings=Settings,
    preset=preset,
    work_estimate=work_estimate,
    optimize_theta=optimize_theta,
    optimize_theta_split=optimize_theta_split,
    MethodResult=MethodResult,
    run_all_methods=run_all_methods,
    export_results=export_results,
    timed=timed,
    measure_throughput=measure_throughput,
    METHODS=METHODS,
)

__all__ = [
    "geometry",
    "pipeline",
    "ABSTAIN",
    "Certificate",
    "CLASSES",
    "load_cifar10",
    "CertificationMemory",
    "build_model",
    "load_model",
    "shipped_models",
    "smoothing_theta",
    "uniform_half_width",
    "ancer",
    "fixed_theta",
    "isotropic_dd",
    "isotropic_dd_scalar",
    "ISO_SOLVERS",
    "OBJECTIVES",
    "PRESETS",
    "Settings",
    "optimize_theta",
    "preset",
    "SamplingConfig",
    "certify",
    "predict",
    "AncerInputError",
    "GAUSSIAN",
    "UNIFORM",
    "Noise",
    "noise_for",
    "METHODS",
    "MethodResult",
    "run_all_methods",
    "work_estimate",
    "export_results",
    "read_results",
    "measure_throughput",
]
__version__ = "0.2.0"
