"""ancer_core — randomized smoothing with isotropic and anisotropic certificates (ANCER, TMLR 2022).

Layers, each a subpackage that imports only the ones below it:

* :mod:`ancer_core.core` — the paper: noises (§4), CERTIFY and certificates (§5), the optimizers
  and the protocol (§6), memory-based certification;
* :mod:`ancer_core.data` — CIFAR-10 and result files; :mod:`ancer_core.models` — architectures,
  shipped models, training; :mod:`ancer_core.teaching` — 2D toy smoothing, region geometry, Hessians;
* :mod:`ancer_core.cli` — the command line.

Main entry points: :func:`load_model`, :func:`load_cifar10`, :func:`certify`, :func:`predict`,
:func:`isotropic_dd`, :func:`ancer`, :func:`run_all_methods`, :class:`Certificate`, :func:`noise_for`.
Each name is imported from its module on first use (``ancer_core._lazy``): ``import ancer_core``
alone loads neither PyTorch nor SciPy.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

_CORE = (
    "ABSTAIN DEFAULT_THETA_MAX_RATIO GAUSSIAN ISO_SOLVERS METHOD_LABELS METHODS OPTIMIZED SAMPLINGS "
    "OBJECTIVE_BOUND OBJECTIVES PRESETS UNIFORM "
    "AncerInputError "
    "Certificate CertificationMemory MethodResult NonFiniteOutputError Noise SamplingConfig SequentialRule Settings "
    "ancer certify "
    "describe_surrogate "
    "fixed_theta isotropic_dd isotropic_dd_scalar noise_for optimize_theta predict preset run_all_methods "
    "smoothing_theta stage_work uniform_half_width warm_up work_estimate"
)
_EXPORTS = {name: ".core" for name in _CORE.split()} | {
    "Progress": ".console",
    "CLASSES": ".data",
    "export_results": ".data",
    "load_cifar10": ".data",
    "read_results": ".data",
    "build_model": ".models",
    "load_model": ".models",
    "measure_throughput": ".models",
    "shipped_models": ".models",
    "timed": ".models",
    "core": ".core",
    "data": ".data",
    "models": ".models",
    "teaching": ".teaching",
    "lectures": ".lectures",
    "cli": ".cli",
}
if TYPE_CHECKING:  # the names as static tools (an editor, an import graph) see them; at run time they load on first use
    from . import cli, core, data, lectures, models, teaching
    from .console import Progress
    from .core import (
        ABSTAIN,
        DEFAULT_THETA_MAX_RATIO,
        GAUSSIAN,
        ISO_SOLVERS,
        METHOD_LABELS,
        METHODS,
        OBJECTIVE_BOUND,
        OBJECTIVES,
        OPTIMIZED,
        PRESETS,
        SAMPLINGS,
        UNIFORM,
        AncerInputError,
        Certificate,
        CertificationMemory,
        MethodResult,
        Noise,
        NonFiniteOutputError,
        SamplingConfig,
        SequentialRule,
        Settings,
        ancer,
        certify,
        describe_surrogate,
        fixed_theta,
        isotropic_dd,
        isotropic_dd_scalar,
        noise_for,
        optimize_theta,
        predict,
        preset,
        run_all_methods,
        smoothing_theta,
        stage_work,
        uniform_half_width,
        warm_up,
        work_estimate,
    )
    from .data import CLASSES, export_results, load_cifar10, read_results
    from .models import build_model, load_model, measure_throughput, shipped_models, timed

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [n for n, m in _EXPORTS.items() if m != f".{n}"]
__version__ = "0.2.0"
