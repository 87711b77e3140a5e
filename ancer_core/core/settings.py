"""A run's settings (paper §6, Appendix C/D): :class:`Settings`, the presets, the surrogate in words and
the work a run is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from .isotropic_dd_solver import scalar_evaluations
from .sequential import SequentialRule
from .surrogate import OBJECTIVE_BOUND, Surrogate, bound_ratio, check_objective
from .validation import AncerInputError, check_alpha, check_count, check_nonnegative, check_positive

METHODS = ("fixed", "isotropic-dd", "ancer")
OPTIMIZED = ("isotropic-dd", "ancer")  # the methods whose θ is optimized per input (data-dependent)
# what a person reads (tables, legends, menus); the ids above stay in files, flags and links
METHOD_LABELS = {"fixed": "fixed σ", "isotropic-dd": "Isotropic DD", "ancer": "ANCER"}
SAMPLINGS = ("fixed", "sequential")
# the settings of sequential CERTIFY; a fixed-sampling run's record leaves them out (as before they existed)
SEQUENTIAL_FIELDS = ("sampling", "tolerance", "radii")
ISO_SOLVERS = ("scalar", "gradient")


@dataclass(frozen=True)
class Settings:
    """Everything that defines a certification run besides the model, the image and σ."""

    n0: int = 100  # CERTIFY's selection samples: which class to certify (Cohen et al.'s N0)
    n: int = 100_000  # CERTIFY's estimation samples: the lower bound p̲A (Cohen et al.'s N)
    alpha: float = 0.001  # each certificate is wrong with probability ≤ α
    iso_iterations: int = 900  # Isotropic DD's gradient steps (the "gradient" solver; the scalar one's grid is fixed)
    iso_samples: int = 100  # noise draws per Isotropic DD step (per grid value for the scalar solver)
    iso_lr: float = 0.04  # Isotropic DD's step size (the gradient solver)
    ancer_iterations: int = 100  # ANCER's gradient steps (the maximum, with ancer_patience)
    ancer_samples: int = 100  # noise draws per ANCER step
    ancer_lr: float = 0.04  # ANCER's step size
    kappa: float = 2.0  # ANCER's weight on the ℓ∞ ball inside the region (the paper's κ, Eq. 7)
    # what the optimizers' surrogate maximises (core/surrogate.py): "anchored" (the gap of the class the
    # surrogate predicts at the start θ) or "paper" (the top-2 gap); the softmax temperature
    objective: str = "anchored"
    temperature: float = 1.0
    # θ ≤ this × the start θ; None: unbounded; OBJECTIVE_BOUND: the objective's own (2 for anchored,
    # unbounded for the paper's), decided in core/surrogate.py and read through ``bound``
    theta_max_ratio: float | None | str = OBJECTIVE_BOUND
    # Isotropic DD's solver: "scalar" (a grid of log θ on iso_samples common draws, then golden
    # section) or "gradient" (the original's iterations × samples)
    iso_solver: str = "scalar"
    # ANCER stops once its smoothed objective has not improved for this many iterations (core.optimize.EarlyStop);
    # None runs all ancer_iterations (the paper's); ancer_iterations stays the maximum either way
    ancer_patience: int | None = None
    # CERTIFY's estimation samples: "fixed" draws all N (Cohen et al.); "sequential" draws in looks and
    # stops when the answer is known, same guarantee (core/sequential.py): at abstain, when more samples
    # could add less than ``tolerance`` (relative) to the radius, or — with ``radii`` (table mode) — once
    # every one of those radii is decided
    sampling: str = "fixed"
    tolerance: float | None = 0.03
    radii: tuple[float, ...] | None = None

    def __post_init__(self):
        if self.radii is not None and not isinstance(self.radii, tuple):  # a list from a file or a caller
            object.__setattr__(self, "radii", tuple(self.radii))

    @property
    def sequential(self) -> bool:
        """Whether CERTIFY samples sequentially (stops as soon as it can) rather than draws all of N."""
        return self.sampling == "sequential"

    def sampling_rule(self) -> SequentialRule | None:
        """CERTIFY's stopping rule: None for fixed sampling."""
        if self.sampling == "fixed":
            return None
        return SequentialRule(tolerance=self.tolerance, radii=self.radii)

    @property
    def bound(self) -> float | None:
        """The bound on θ as a multiple of the start θ (None: unbounded)."""
        return bound_ratio(self.objective, self.theta_max_ratio)

    def surrogate(self, theta0: float) -> Surrogate:
        """What the optimizers maximise for a run that starts at ``theta0``."""
        bound = self.bound
        return Surrogate(self.objective, self.temperature, None if bound is None else bound * theta0)

    def validate(self) -> Settings:
        check_count("N0", self.n0)
        check_count("N", self.n)
        check_alpha(self.alpha)
        for k in ("iso_iterations", "ancer_iterations"):
            check_count(k, getattr(self, k), 0)
        for k in ("iso_samples", "ancer_samples"):
            check_count(k, getattr(self, k))
        check_objective(self.objective, self.temperature)
        check_positive("iso_lr", self.iso_lr)
        check_positive("ancer_lr", self.ancer_lr)
        check_nonnegative("kappa", self.kappa, " (the paper uses 2)")
        if self.ancer_patience is not None:
            check_count("ancer_patience", self.ancer_patience)
        if self.iso_solver not in ISO_SOLVERS:
            raise AncerInputError(f"iso_solver={self.iso_solver!r}; use one of {', '.join(ISO_SOLVERS)}")
        _ = self.bound  # checks theta_max_ratio
        if self.sampling not in SAMPLINGS:
            raise AncerInputError(f"sampling={self.sampling!r}; use one of {', '.join(SAMPLINGS)}")
        if self.sampling == "fixed" and self.radii is not None:
            raise AncerInputError("radii (table mode) decide radii by sequential sampling: set sampling='sequential'")
        SequentialRule(tolerance=self.tolerance, radii=self.radii)  # checks tolerance and radii
        if self.n < self.n0:
            raise AncerInputError(
                f"N={self.n} is smaller than N0={self.n0}: the estimation step needs at least as "
                "many samples as the selection step: give N ≥ N0 (paper: N0=100, N=100,000)"
            )
        return self

    def as_dict(self) -> dict:
        """The settings as a run records them: the bound on θ as the number it was (None: unbounded); the
        sequential settings only for a sequential run (a fixed run's record is what it was before them)."""
        d = asdict(self) | {"theta_max_ratio": self.bound}
        if self.sampling == "fixed":
            return {k: v for k, v in d.items() if k not in SEQUENTIAL_FIELDS}
        return d | {"radii": None if self.radii is None else list(self.radii)}


# the surrogate of a settings file written before these keys existed: the paper's objective, θ
# unbounded, Isotropic DD by gradient steps, no temperature
LEGACY_SURROGATE = {"objective": "paper", "temperature": 1.0, "theta_max_ratio": None, "iso_solver": "gradient"}


def describe_surrogate(settings: Settings | dict) -> str:
    """What the optimizers maximised and how, in one phrase for captions and reports, from
    :class:`Settings` or a result file's ``settings`` (keys it lacks: :data:`LEGACY_SURROGATE`)."""
    d = settings.as_dict() if isinstance(settings, Settings) else {**LEGACY_SURROGATE, **settings}
    ratio, temperature = d["theta_max_ratio"], float(d["temperature"])
    return (
        f"the {d['objective']} objective"
        + (f" at temperature {temperature:g}" if temperature != 1 else "")
        + (f" with θ ≤ {float(ratio):g} × the initial θ" if ratio is not None else ", θ unbounded")
        + f" (Isotropic DD: {d['iso_solver']} solver)"
    )


PRESETS = {
    # the paper (Appendix C/D): Isotropic DD 900×100, ANCER 100×100, N0=100, N=100,000, α=0.001
    "paper": Settings(),
    # interactive on a laptop CPU with the small model: same α, fewer samples and iterations
    "quick": Settings(n0=64, n=2_000, iso_iterations=60, iso_samples=32, ancer_iterations=40, ancer_samples=32),
    # a data set on a CPU (the shipped results grid): N = 10,000 as in Cohen et al.'s tables, and
    # the optimizers on 7 % (Isotropic DD) and 32 % (ANCER) of the paper's noisy gradient samples
    "cpu": Settings(n0=100, n=10_000, iso_iterations=200, iso_samples=32, ancer_iterations=100, ancer_samples=32),
}


def preset(name: str, **overrides) -> Settings:
    """The preset ``name`` with ``overrides`` (fields of :class:`Settings`), checked. A setting left out
    keeps the preset's; ``theta_max_ratio=None`` is unbounded, and left out it is the objective's own."""
    if name not in PRESETS:
        raise AncerInputError(f"preset={name!r}; use one of {', '.join(PRESETS)}")
    unknown = set(overrides) - set(Settings.__dataclass_fields__)
    if unknown:
        raise AncerInputError(f"unknown settings {sorted(unknown)}; use fields of Settings")
    return replace(PRESETS[name], **overrides).validate()


BACKWARD_COST = 2.0  # a backward pass counted as this many forward passes, for progress shares only


def stage_work(settings: Settings, methods: Sequence[str] = METHODS) -> dict[str, float]:
    """Each stage of :func:`run_all_methods` (``methods`` in its order) with its work per image in forward-pass
    equivalents, in the order the stages run: "isotropic-dd" and "ancer" (the optimizers, once each) and
    "certify METHOD". Progress bars move through a batch by these shares; they are estimates (an int8 or bf16
    network changes the cost of a pass), and a bar's ETA is revised from the time each share took."""
    out: dict[str, float] = {}
    for method in methods:
        if method in OPTIMIZED and "isotropic-dd" not in out:
            if settings.iso_solver == "scalar":
                out["isotropic-dd"] = float(scalar_evaluations(theta_max_ratio=settings.bound) * settings.iso_samples)
            else:
                out["isotropic-dd"] = (1 + BACKWARD_COST) * settings.iso_iterations * settings.iso_samples
        if method == "ancer":
            out["ancer"] = (1 + BACKWARD_COST) * settings.ancer_iterations * settings.ancer_samples
        out[f"certify {method}"] = float(settings.n0 + settings.n)
    return out


def work_estimate(settings: Settings, methods: Sequence[str] = METHODS) -> dict[str, int]:
    """Noisy images the network sees, per certified image, in :func:`run_all_methods`:
    ``forward`` (CERTIFY: N0 + N per method, and the scalar Isotropic DD solver's evaluations; no
    gradient) and ``gradient`` (the optimizers' forward + backward passes w.r.t. θ: Isotropic DD's
    gradient solver once, shared with ANCER, then ANCER)."""
    forward, grad = len(methods) * (settings.n0 + settings.n), 0
    if "isotropic-dd" in methods or "ancer" in methods:
        if settings.iso_solver == "scalar":
            forward += scalar_evaluations(theta_max_ratio=settings.bound) * settings.iso_samples
        else:
            grad += settings.iso_iterations * settings.iso_samples
    if "ancer" in methods:
        grad += settings.ancer_iterations * settings.ancer_samples
    return {"forward": forward, "gradient": grad}
