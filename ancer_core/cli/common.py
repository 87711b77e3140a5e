"""What every image command shares: its options, the device, the settings and the loaded job."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from ..core.noise import Noise, noise_for
from ..core.precision import (
    autocast_dtype,
    default_device,
    default_optimizer_precision,
)
from ..core.protocol import optimize_theta_split
from ..core.settings import Settings, work_estimate
from ..core.validation import AncerInputError, check_count, check_seed
from ..data.cifar10 import load_cifar10, parse_indices
from ..data.records import run_record
from ..models.certifying_network import certifying
from ..models.checkpoints import default_model_name, load_model
from ..models.speed import duration, hardware, measure_throughput
from . import distributed
from .options import settings_from_args


def device_from_flag(name: str) -> torch.device:
    if name == "auto":
        return default_device()
    if name == "cuda" and not torch.cuda.is_available():
        raise AncerInputError("--device cuda was requested but no CUDA GPU is available; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise AncerInputError(f"--device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def invocation() -> str:
    """The command line that made the file; ``python -m ancer_core`` stands for the module's own
    ``__main__.py``, which ``sys.argv`` gives as an absolute path on the machine that ran it."""
    first = Path(sys.argv[0])
    head = "python -m ancer_core" if (first.name, first.parent.name) == ("__main__.py", "ancer_core") else sys.argv[0]
    return " ".join([head, *sys.argv[1:]])


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
