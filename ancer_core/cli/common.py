"""What every image command shares: its options, the device, the settings and the loaded job."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from ..core.noise import UNIFORM_CONVENTIONS, Noise, noise_for
from ..core.precision import (
    OPTIMIZER_PRECISIONS,
    PRECISIONS,
    autocast_dtype,
    default_device,
    default_optimizer_precision,
)
from ..core.protocol import optimize_theta_split
from ..core.settings import ISO_SOLVERS, PRESETS, Settings, preset, work_estimate
from ..core.surrogate import OBJECTIVE_BOUND, OBJECTIVES
from ..core.validation import NORMS, AncerInputError, check_count, check_seed
from ..data.cifar10 import load_cifar10, parse_indices
from ..data.records import run_record
from ..models.certifying_network import certifying
from ..models.checkpoints import default_model_name, load_model
from ..models.speed import duration, hardware, measure_throughput
from . import distributed


def device_from_flag(name: str) -> torch.device:
    if name == "auto":
        return default_device()
    if name == "cuda" and not torch.cuda.is_available():
        raise AncerInputError("--device cuda was requested but no CUDA GPU is available; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise AncerInputError(f"--device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


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
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda")
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
    for flag, (kind, what) in OPTIMIZER_FLAGS.items():
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
    p.add_argument(
        "--channels-last",
        action="store_true",
        help="channels-last memory layout for the model and the "
        "forward passes (already the default for the weights on a CPU)",
    )


PRESET_VALUE = "preset"  # the default of a flag whose None is a value of its own (--tolerance none)


def invocation() -> str:
    """The command line that made the file; ``python -m ancer_core`` stands for the module's own
    ``__main__.py``, which ``sys.argv`` gives as an absolute path on the machine that ran it."""
    first = Path(sys.argv[0])
    head = "python -m ancer_core" if (first.name, first.parent.name) == ("__main__.py", "ancer_core") else sys.argv[0]
    return " ".join([head, *sys.argv[1:]])


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
    chosen = STAGE_PREFIX.get(args.method)
    for flag in OPTIMIZER_FLAGS:
        for stage in STAGE_NAME:
            out[f"{stage}_{flag}"] = getattr(args, f"{stage}_{flag}")
        short = getattr(args, flag)
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


@dataclass(kw_only=True)
class Job:
    """A loaded image command: model, data and this rank's share of the images."""

    settings: Settings
    device: torch.device
    model_name: str
    model: torch.nn.Module
    noise: Noise
    x: torch.Tensor  # the whole test split (N, 3, 32, 32)
    y: torch.Tensor
    indices: list[int]  # this rank's images
    theta0: float  # θ of --sigma (the start of the optimization)
    chunk: int  # images processed together
    rank: int
    world_size: int
    certify_model: torch.nn.Module  # the network CERTIFY samples: ``model``, or its int8 version
    # what the command line chose, so that nothing after setup reads the argparse namespace
    method: str
    sigma: float  # --sigma, the std the run starts from (θ0 is its θ)
    preset: str
    seed: int
    precision: str  # CERTIFY's network: fp32, bf16, fp16 or int8
    optimizer_precision: str  # the optimizers' autocast (resolved: --optimizer-precision or the default)
    channels_last: bool
    uniform_convention: str

    def optimizer_autocast(self) -> torch.dtype | None:
        return autocast_dtype(self.optimizer_precision)

    def batch(self, part: list[int]) -> torch.Tensor:
        """The test images ``part`` on the device, in the layout the command asked for."""
        xb = self.x[part].to(self.device)
        return xb.contiguous(memory_format=torch.channels_last) if self.channels_last else xb


SIGMA_RANGE = (1e-6, 1e6)  # a noise std on images in [0, 1] that float32 still represents and adds


def setup(args) -> Job:
    """Validate everything cheap first, then load model and data. Under torchrun, join the process
    group and keep this rank's shard idx[rank::size] of the indices."""
    if not (SIGMA_RANGE[0] <= args.sigma <= SIGMA_RANGE[1]):  # NaN fails too
        raise AncerInputError(
            f"--sigma {args.sigma:g}: use a noise std from {SIGMA_RANGE[0]:g} to {SIGMA_RANGE[1]:g} for images in "
            "[0, 1] (e.g. 0.25; the paper's are 0.12–1.0); outside it the noise is lost in float32 or drowns the image"
        )
    check_seed(args.seed, "--seed")
    if args.chunk is not None:
        check_count("--chunk", args.chunk)
    noise = noise_for(args.norm)
    settings = settings_from_args(args)
    device = device_from_flag(args.device)
    name = args.model
    if name is None:
        name, trained = default_model_name(noise.norm, args.sigma)
        print(
            f"model: {name} (shipped; trained with σ={trained:g}, nearest to --sigma {args.sigma:g})", file=sys.stderr
        )
    x, y = load_cifar10("test", args.data_root)
    spec = args.indices
    if args.skip is not None or args.max is not None:
        if (args.skip is not None and args.skip < 1) or (args.max is not None and args.max < 1):
            raise AncerInputError("--skip and --max must be positive integers")
        spec = f"0:{min(args.max or len(y), len(y))}:{args.skip or 1}"
    idx = parse_indices(spec, len(y))
    rank, size = distributed.world()
    if size > 1 and getattr(args, "memory", False):
        raise AncerInputError(
            "--memory certifies images in order, one after another; it cannot be sharded over "
            "torchrun ranks — run it in one process"
        )
    decided = certifying(name, args.precision, optimizer_precision(args), device)  # before the slow part: it may refuse
    device = distributed.init(device)
    model = load_model(name, device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    theta0 = float(noise.theta_from_sigma(args.sigma, args.uniform_convention))
    chunk = args.chunk or (128 if device.type == "cuda" else 16)
    return Job(
        settings=settings,
        device=device,
        model_name=name,
        model=model,
        noise=noise,
        x=x,
        y=y,
        indices=idx[rank::size],
        theta0=theta0,
        chunk=chunk,
        rank=rank,
        world_size=size,
        certify_model=decided.sampled(model),
        method=args.method,
        sigma=args.sigma,
        preset=args.preset,
        seed=args.seed,
        precision=args.precision,
        optimizer_precision=optimizer_precision(args),
        channels_last=args.channels_last,
        uniform_convention=args.uniform_convention,
    )


# a run longer than this is refused: it cannot be finished, and its numbers are surely a typo
MAX_ESTIMATE_S = 365 * 24 * 3600


def announce_estimate(job: Job, images: int, stages: tuple[str, ...], certify: bool = True) -> float:
    """Print, before the work starts, how long ``images`` images will take: the noisy images the
    network sees per image (:func:`~ancer_core.core.settings.work_estimate` for the methods ``stages``,
    with or without CERTIFY) at the throughput measured now on this device; refuse a run of more
    than a year. Returns the estimate in seconds."""
    if not images:
        return 0.0
    work = work_estimate(job.settings, stages)
    forward = work["forward"] - (0 if certify else len(stages) * (job.settings.n0 + job.settings.n))
    rate = measure_throughput(job.model, job.device, batch=64, gradient=work["gradient"] > 0)
    seconds = images * (forward / rate["forward"] + work["gradient"] / rate.get("gradient", rate["forward"]))
    said = f"{images} images × {forward:,} forward" + (f" + {work['gradient']:,} gradient" if work["gradient"] else "")
    if seconds > MAX_ESTIMATE_S:
        raise AncerInputError(
            f"this run would take about {seconds / MAX_ESTIMATE_S:,.0f} years on {job.device} ({said} noisy images); "
            "use fewer samples (--N, the optimizers' --samples and --iterations) or fewer --indices"
        )
    if job.rank == 0:
        at_most = (
            " (at most: sequential sampling stops each image as soon as it can)"
            if certify and job.settings.sequential
            else ""
        )
        print(
            f"estimate: about {duration(seconds)} on {job.device} ({said} noisy images each){at_most}", file=sys.stderr
        )
    return seconds


def optimize_images(job: Job, xb: torch.Tensor, part: list[int], callback=None) -> dict[str, torch.Tensor]:
    """θ of each stage for the images ``xb`` (:meth:`Job.batch`) = ``part``, in the precision the command asked
    for (:func:`optimize_theta_split`: split on out-of-memory, a non-finite θ refused); ``callback`` reports
    each optimizer iteration."""
    return optimize_theta_split(
        job.model,
        xb,
        job.noise,
        job.method,
        job.theta0,
        job.settings,
        seed=job.seed,
        indices=part,
        optimizer_autocast=job.optimizer_autocast(),
        callback=callback,
    )


def job_record(job: Job, certify_model: torch.nn.Module | None = None, **extra) -> dict:
    """The run record (:func:`~ancer_core.data.records.run_record`) of a command's job, with what only
    that command has in ``extra``."""
    return run_record(
        command=invocation(),
        model_name=job.model_name,
        model=job.model,
        norm=job.noise.norm,
        sigma=job.sigma,
        theta0=job.theta0,
        settings=job.settings,
        preset=job.preset,
        seed=job.seed,
        precision=job.precision,
        optimizer_precision=job.optimizer_precision,  # the setting (no optimizer runs for fixed or --thetas)
        device=str(job.device),
        # the CPU and its instruction sets: an int8 network's kernels (and so its votes, slightly) depend on them
        hardware=hardware(job.device),
        certify_model=certify_model,
        method=job.method,
        uniform_convention=job.uniform_convention,
        channels_last=job.channels_last,
        world_size=job.world_size,
        **extra,
    )


def optimizer_precision(args) -> str:
    """The precision the optimizers run in: --optimizer-precision, else :func:`default_optimizer_precision`
    of --precision on the chosen device (the app's default too)."""
    return args.optimizer_precision or default_optimizer_precision(args.precision, device_from_flag(args.device))
