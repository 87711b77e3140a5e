"""The options of the commands that work on CIFAR-10 test images (optimize, certify) and the settings they
make: the preset with each flag given laid over it."""

from __future__ import annotations

import argparse

from ..core.noise import UNIFORM_CONVENTIONS
from ..core.precision import OPTIMIZER_PRECISIONS, PRECISIONS
from ..core.sequential import check_radii, check_tolerance
from ..core.settings import ISO_SOLVERS, PRESETS, SAMPLINGS, Settings, preset
from ..core.surrogate import OBJECTIVE_BOUND, OBJECTIVES
from ..core.validation import NORMS, AncerInputError

# each optimizer's own flags, and the short ones that set the chosen method's (``--method``)
OPTIMIZER_FLAGS = {
    "iterations": (int, "iterations"),
    "samples": (int, "noise samples per iteration"),
    "lr": (float, "learning rate"),
}
STAGE_PREFIX = {"isotropic-dd": "iso", "ancer": "ancer"}
STAGE_NAME = {"iso": "Isotropic DD's", "ancer": "ANCER's"}


def add_image_options(p: argparse.ArgumentParser, methods: tuple[str, ...]) -> None:
    """The options of the commands that work on CIFAR-10 test images (optimize, certify)."""
    _add_run_options(p, methods)
    add_optimizer_options(p)
    add_precision_options(p)
    p.add_argument(
        "--channels-last",
        action="store_true",
        help="channels-last memory layout for the model and the "
        "forward passes (already the default for the weights on a CPU)",
    )


def add_device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda (default: auto)")


def _add_run_options(p: argparse.ArgumentParser, methods: tuple[str, ...]) -> None:
    """The model, the noise, the method, the images, the preset and where the run happens."""
    p.add_argument(
        "--model",
        default=None,
        help="shipped model name (see `models`) or checkpoint path (default: the "
        "shipped small model trained with the same noise and the nearest σ)",
    )
    p.add_argument(
        "--norm",
        choices=NORMS,
        required=True,
        help="l2: Gaussian noise, ellipsoids; l1: uniform noise, cross-polytopes",
    )
    p.add_argument("--method", choices=methods, required=True)
    p.add_argument(
        "--sigma",
        type=float,
        required=True,
        help="smoothing σ (std); the start of the optimization for data-dependent methods",
    )
    p.add_argument(
        "--indices",
        default="0:500:20",
        help="CIFAR-10 test indices start:stop:step (original order), e.g. 0:10000:20 = the paper's every 20th image",
    )
    p.add_argument(
        "--skip",
        type=int,
        default=None,
        help="as in the original scripts: take every SKIP-th test image "
        "(overrides --indices; with --max: range(0, MAX, SKIP))",
    )
    p.add_argument("--max", type=int, default=None, help="as in the original scripts: stop before test index MAX")
    p.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="paper",
        help="quick: one image, interactive (the app's default): N0=64, N=2,000, ANCER 40×32; cpu: a data set on a "
        "CPU (the shipped grid): N0=100, N=10,000, ANCER 100×32; paper: the paper's protocol: N0=100, N=100,000, "
        "ANCER 100×100. All: α=0.001, Isotropic DD by the scalar solver on 32 (paper: 100) samples; see the "
        "README's presets table",
    )
    add_device_option(p)
    p.add_argument("--seed", type=int, default=0, help="run seed; each image's noise is seeded from (seed, index)")
    p.add_argument(
        "--data-root",
        default=None,
        help="original CIFAR-10 release (folder with cifar-10-batches-py) or "
        "JPEG archive (default: the test split shipped with the package)",
    )
    p.add_argument("--chunk", type=int, default=None, help="images processed together (default: 16 on CPU, 128 on GPU)")
    p.add_argument(
        "--uniform-convention",
        choices=UNIFORM_CONVENTIONS,
        default="std",
        help="σ → λ for uniform noise: std (λ = √3·σ) or ancer-original (the original code's λ = σ/√3)",
    )


def add_optimizer_options(p: argparse.ArgumentParser, short: bool = True) -> None:
    """Each optimizer's flags and the surrogate they maximise; ``short``: also --iterations, --samples and --lr,
    which stand for the chosen --method's optimizer (a command without --method has none)."""
    for flag, (kind, what) in OPTIMIZER_FLAGS.items():
        if short:
            p.add_argument(
                f"--{flag}",
                type=kind,
                default=None,
                help=f"{what} of the chosen --method's optimizer, i.e. --iso-{flag} or --ancer-{flag} (default: the "
                "preset's)",
            )
        for stage, name in STAGE_NAME.items():
            p.add_argument(f"--{stage}-{flag}", type=kind, default=None, help=f"{name} {what} (default: the preset's)")
    p.add_argument("--kappa", type=float, default=None, help="ANCER's κ (default: the preset's, 2.0)")
    p.add_argument(
        "--ancer-patience",
        type=int,
        default=None,
        help="stop ANCER once its smoothed objective has not improved for this many iterations (the iterations "
        "stay the maximum) (default: the preset's)",
    )
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default=None,
        help="what the optimizers' surrogate maximises: anchored (the gap of the class the surrogate predicts at "
        "the start θ, with θ ≤ 2 × the start θ unless --theta-max-ratio) or paper (the authors' top-2 gap, θ "
        "unbounded unless --theta-max-ratio); never changes what CERTIFY counts (default: the preset's, anchored)",
    )
    p.add_argument(
        "--temperature", type=float, default=None, help="softmax temperature of the surrogate (default: the preset's)"
    )
    p.add_argument(
        "--theta-max-ratio",
        type=theta_max_ratio,
        default=OBJECTIVE_BOUND,
        help="bound every θ by this multiple of the start θ, or none (default: 2 with the anchored objective, "
        "none with the paper's)",
    )
    p.add_argument(
        "--iso-solver",
        choices=ISO_SOLVERS,
        default=None,
        help="Isotropic DD's solver: gradient (the original's iterations × samples) or scalar (a grid of log θ "
        "on common random numbers, then golden section) (default: the preset's)",
    )


def add_precision_options(p: argparse.ArgumentParser) -> None:
    """CERTIFY's and the optimizers' precisions (the one decision: ``models.certifying``)."""
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="bf16/fp16: autocast of every forward pass (optimization and CERTIFY); int8: CERTIFY on the "
        "model's calibrated int8 network (CPU only), the optimization in fp32. The certified base classifier is "
        "the network as run in that precision (sound for it, not for the fp32 network); fp16 needs CUDA; see "
        "docs/performance.md",
    )
    p.add_argument(
        "--optimizer-precision",
        choices=OPTIMIZER_PRECISIONS,
        default=None,
        help="autocast of the optimizers' forward and backward passes; θ only has to be fixed before CERTIFY "
        "samples, so it never affects soundness. bf16 is faster on CPUs with native bf16 (AVX-512 bf16, AMX) "
        "(default: as --precision; with int8, bf16 where the device runs bf16 natively, else fp32)",
    )


PRESET_VALUE = "preset"  # the default of a flag whose None is a value of its own (--tolerance none)


def theta_max_ratio(text: str) -> float | None | str:
    """--theta-max-ratio: a number ≥ 1, or "none" (unbounded: None, as in :class:`Settings`); left out, the
    objective's own (argparse passes the default through here too)."""
    if text == OBJECTIVE_BOUND:
        return text
    if text.strip().lower() in ("none", "inf"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use a number ≥ 1, or none for unbounded") from None


def optimizer_overrides(args) -> dict:
    """Each optimizer's flags (--iso-*, --ancer-*), with the short ones (--iterations, --samples, --lr)
    standing for the chosen --method's (ignored by fixed σ, which optimizes nothing, so that one set of
    flags serves every method); a short flag and the long one it stands for must agree."""
    out = {}
    chosen = STAGE_PREFIX.get(getattr(args, "method", None))
    for flag in OPTIMIZER_FLAGS:
        for stage in STAGE_NAME:
            out[f"{stage}_{flag}"] = getattr(args, f"{stage}_{flag}")
        short = getattr(args, flag, None)
        if short is None or chosen is None:  # fixed σ runs no optimizer: nothing to set
            continue
        long = out[f"{chosen}_{flag}"]
        if long is not None and long != short:
            raise AncerInputError(
                f"--{flag} {short} and --{chosen}-{flag} {long} disagree (with --method {args.method}, --{flag} "
                f"is --{chosen}-{flag}); give one of them"
            )
        out[f"{chosen}_{flag}"] = short
    return out


def settings_from_args(args) -> Settings:
    """The preset, with each optimizer's flags, the surrogate's and CERTIFY's N0/N/α overridden where given
    (a flag left out is None here; --theta-max-ratio left out is the objective's own bound)."""
    flags = optimizer_overrides(args) | {
        "kappa": args.kappa,
        "ancer_patience": args.ancer_patience,
        "objective": args.objective,
        "temperature": args.temperature,
        "iso_solver": args.iso_solver,
    }
    if hasattr(args, "N0"):
        flags.update(n0=args.N0, n=args.N, alpha=args.alpha)
    if hasattr(args, "sampling"):  # certify's: --radii means sequential sampling unless --sampling says otherwise
        flags.update(sampling=args.sampling or ("sequential" if args.radii is not None else None), radii=args.radii)
    given = {k: v for k, v in flags.items() if v is not None}
    if getattr(args, "tolerance", PRESET_VALUE) != PRESET_VALUE:
        given["tolerance"] = args.tolerance  # None ("none") is a value here: stop early only to abstain
    settings = preset(args.preset, **given, theta_max_ratio=args.theta_max_ratio)
    if "tolerance" in given and not settings.sequential:
        raise AncerInputError(
            "--tolerance applies to sequential sampling only, and this run samples all N (fixed); add --sampling "
            "sequential or leave --tolerance out"
        )
    return settings


def add_certify_options(p: argparse.ArgumentParser) -> None:
    """CERTIFY's N0, N and α, and how it draws its estimation samples (fixed, sequential, table mode)."""
    p.add_argument("--N0", type=int, default=None, help="selection samples, paper 100 (default: the preset's)")
    p.add_argument("--N", type=int, default=None, help="estimation samples, paper 100,000 (default: the preset's)")
    p.add_argument("--alpha", type=float, default=None, help="failure probability, paper 0.001 (default: the preset's)")
    p.add_argument("--batch", default="auto", help="noisy images per forward pass, or auto (halved on out-of-memory)")
    p.add_argument(
        "--noise-batch",
        type=int,
        default=1000,
        help="noise samples per image per draw (fixes the random stream, like the original's batch)",
    )
    p.add_argument(
        "--sampling",
        choices=SAMPLINGS,
        default=None,
        help="CERTIFY's estimation samples: fixed draws all N (Cohen et al.); sequential draws in looks and stops "
        "at abstain or when more samples could add less than --tolerance to the radius, same guarantee "
        "(docs/conventions.md, section Sequential CERTIFY) (default: the preset's, fixed; sequential with --radii)",
    )
    p.add_argument(
        "--tolerance",
        type=tolerance,
        default=PRESET_VALUE,
        help="sequential sampling: stop once more samples could add less than this relative gain to the radius, or "
        "none to stop early only to abstain (default: the preset's, 0.03)",
    )
    p.add_argument(
        "--radii",
        type=radii,
        default=None,
        help="table mode: decide for each of these radii (comma-separated, e.g. 0,0.25,0.5,0.75,1) whether the "
        "certificate reaches it, stopping when all are decided; prints the certified-accuracy table with the "
        "samples spent",
    )


def tolerance(text: str) -> float | None:
    """--tolerance: a relative radius gain ≥ 0, or none (stop early only to abstain); left out, the preset's
    (argparse passes the default through here too)."""
    if text == PRESET_VALUE:
        return text
    if text.strip().lower() == "none":
        return None
    try:
        return check_tolerance(float(text))
    except (ValueError, AncerInputError):
        raise argparse.ArgumentTypeError(f"{text!r}: use a number ≥ 0 (e.g. 0.03), or none") from None


def radii(text: str) -> tuple[float, ...]:
    """--radii: comma-separated radii ≥ 0."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give radii as numbers separated by commas, e.g. 0,0.25,0.5"
        ) from None
    try:
        return check_radii(values)
    except AncerInputError:
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more finite radii ≥ 0, e.g. 0,0.25,0.5") from None
