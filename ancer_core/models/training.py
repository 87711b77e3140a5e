"""Noise-augmented training of base classifiers for randomized smoothing.

* Gaussian noise augmentation (Cohen et al. 2019) for ℓ2 certification;
* uniform noise augmentation (Yang et al. 2020) for ℓ1, optionally with their *stability
  training* loss CE(f(x), y) + γ·KL(f(x) ‖ f(x + ε)) (γ = 6 in the original ANCER ℓ1 models).

σ is the noise's standard deviation for both noises (uniform half-width λ = √3·σ, see
:mod:`ancer_core.core.noise`). Seeded, CPU or CUDA, resumable (a ``.partial`` file is written after
every epoch), and it writes the checkpoint ``{'arch', 'state_dict', 'card'}`` plus a JSON model
card with the settings, the measured accuracy, the wall time and the hardware.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..console import Progress
from ..core.noise import noise_for
from ..core.precision import autocast, autocast_dtype
from ..core.validation import (
    AncerInputError,
    NonFiniteOutputError,
    check_count,
    check_nonnegative,
    check_positive,
    check_seed,
)
from ..data.cifar10 import load_cifar10_arrays, to_tensor
from ..data.files import OutputLock, prepare_output
from .architectures import build_model, count_parameters
from .checkpoints import load_model, save_checkpoint
from .speed import duration, hardware, measure_throughput

NOISES = ("gaussian", "uniform")
MIN_SCHEDULE_STEPS = 8  # the one-cycle schedule's warm-up (a quarter of the steps) needs at least 2 of them


TRAINING_PRECISIONS = ("fp32", "bf16")  # the forward/backward passes' autocast (core.precision maps them)


@dataclass
class TrainConfig:
    arch: str = "small-cnn"
    noise: str = "gaussian"
    sigma: float = 0.25
    epochs: int = 6
    batch_size: int = 128
    lr: float = 0.1
    weight_decay: float = 5e-4
    stability_weight: float = 0.0  # γ of Yang et al.'s stability loss; 0 = plain noise augmentation
    label_smoothing: float = 0.0  # of the cross-entropy on noisy inputs
    consistency_weight: float = 0.0  # λ of Jeong & Shin's consistency regularization; 0 = off
    consistency_samples: int = 2  # m noisy copies per image when λ > 0
    consistency_entropy: float = 0.5  # η, the weight of the mean prediction's entropy
    precision: str = "fp32"  # "bf16": autocast the forward/backward to bfloat16 (weights and optimizer stay fp32)
    channels_last: bool = False  # NHWC activations and weights (oneDNN's fast layout on CPUs)
    init_from: str | None = None  # fine-tune: start from this checkpoint's weights (name or path)
    seed: int = 0
    max_train: int | None = None  # use only the first images of the (shuffled) train split
    max_steps: int | None = None  # stop after this many optimizer steps (smoke tests)
    data_root: str | None = None


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random crop (4-pixel zero padding) and horizontal flip, batched (no per-image loop)."""
    b, c, h, w = x.shape
    xp = F.pad(x, (4, 4, 4, 4))
    oy = torch.randint(0, 9, (b,), generator=gen, device=x.device)
    ox = torch.randint(0, 9, (b,), generator=gen, device=x.device)
    rows = (oy[:, None] + torch.arange(h, device=x.device))[:, :, None]
    cols = (ox[:, None] + torch.arange(w, device=x.device))[:, None, :]
    flip = torch.rand(b, generator=gen, device=x.device) < 0.5
    cols = torch.where(flip[:, None, None], cols.flip(-1), cols)
    out = xp.permute(0, 2, 3, 1)[torch.arange(b, device=x.device)[:, None, None], rows, cols]
    return out.permute(0, 3, 1, 2).contiguous()


def add_noise(x: torch.Tensor, noise: str, sigma: float, gen: torch.Generator) -> torch.Tensor:
    """x + θ ⊙ u for the noise named ``noise`` with standard deviation ``sigma``."""
    nz = noise_for(noise)
    return x + nz.theta_from_sigma(sigma) * nz.sample_unit(x.shape, x.device, x.dtype, gen)


def consistency_loss(logits: torch.Tensor, y: torch.Tensor, lam: float, eta: float, label_smoothing: float = 0.0):
    """Jeong & Shin (2020), eq. (8) with their entropy term: ``logits`` (m, B, K) of m noisy copies
    of each image; mean over copies of CE(F(x+δᵢ), y) + λ · mean over copies of KL(F̂ ‖ F(x+δᵢ)) +
    η · H(F̂), F̂ the mean of the copies' softmax; averaged over the batch."""
    m, b, k = logits.shape
    ce = F.cross_entropy(logits.reshape(m * b, k), y.repeat(m), label_smoothing=label_smoothing)
    logp = F.log_softmax(logits, -1)
    mean_p = logp.exp().mean(0)
    log_mean = mean_p.clamp_min(1e-12).log()
    kl = (mean_p * (log_mean - logp)).sum(-1).mean(0)  # (B,)
    entropy = -(mean_p * log_mean).sum(-1)
    return ce + (lam * kl + eta * entropy).mean()


def _loss(model, xb, yb, cfg: TrainConfig, gen) -> torch.Tensor:
    if cfg.consistency_weight > 0:
        m = cfg.consistency_samples
        noisy = add_noise(xb.repeat(m, 1, 1, 1), cfg.noise, cfg.sigma, gen)
        if cfg.channels_last:
            noisy = noisy.contiguous(memory_format=torch.channels_last)
        with autocast(xb.device, autocast_dtype(cfg.precision)):
            logits = model(noisy).float()
        return consistency_loss(
            logits.view(m, len(xb), -1), yb, cfg.consistency_weight, cfg.consistency_entropy, cfg.label_smoothing
        )
    noisy = add_noise(xb, cfg.noise, cfg.sigma, gen)
    if cfg.channels_last:
        xb, noisy = (
            xb.contiguous(memory_format=torch.channels_last),
            noisy.contiguous(memory_format=torch.channels_last),
        )
    with autocast(xb.device, autocast_dtype(cfg.precision)):
        if cfg.stability_weight > 0:
            clean, nz = model(torch.cat([xb, noisy])).float().chunk(2)
            kl = F.kl_div(F.log_softmax(nz, 1), F.log_softmax(clean, 1), log_target=True, reduction="batchmean")
            return F.cross_entropy(clean, yb, label_smoothing=cfg.label_smoothing) + cfg.stability_weight * kl
        return F.cross_entropy(model(noisy).float(), yb, label_smoothing=cfg.label_smoothing)


def _loss_words(cfg: TrainConfig) -> str:
    if cfg.consistency_weight > 0:
        return (
            f"consistency regularization (Jeong & Shin 2020): CE on {cfg.consistency_samples} noisy copies + "
            f"{cfg.consistency_weight}·KL(mean ‖ copy) + {cfg.consistency_entropy}·entropy(mean)"
        )
    if cfg.stability_weight > 0:
        return f"stability training: CE(clean) + {cfg.stability_weight}·KL(clean ‖ noisy)"
    return "cross-entropy on noisy inputs"


def _recipe(config: dict) -> dict:
    """The settings a resumed run must share with the interrupted one: all but where the data and
    the starting weights were read from (the same files may sit elsewhere on another machine)."""
    return {k: v for k, v in config.items() if k not in ("data_root", "init_from")}


def train(cfg: TrainConfig, out: str | Path, device: str = "cpu", resume: bool = True, log=print) -> dict:
    """Train and save ``out`` (checkpoint) and ``out`` with suffix .json (model card)."""
    check_config(cfg)
    out = prepare_output(out)
    partial = out.with_suffix(".partial")
    model = build_model(cfg.arch)  # before the data: an unknown arch or a bad --init-from stops at once
    if cfg.init_from:
        model.load_state_dict(load_model(cfg.init_from, fold_bn=False).state_dict())
    torch.manual_seed(cfg.seed)
    x_u8, y_np = load_cifar10_arrays("train", cfg.data_root)
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.max_train:
        keep = torch.randperm(len(y_np), generator=gen)[: cfg.max_train].numpy()
        x_u8, y_np = x_u8[keep], y_np[keep]
    x_all, y_all = to_tensor(x_u8), torch.from_numpy(y_np)
    if log:
        log(estimate_words(cfg, model, len(y_all), device))
    out.parent.mkdir(parents=True, exist_ok=True)
    with OutputLock(out):
        return _train(cfg, model, x_all, y_all, gen, out, partial, device, resume, log)


def estimate_words(cfg: TrainConfig, model: torch.nn.Module, images: int, device) -> str:
    """Before the work: the passes the run is and about how long they take at this device's measured
    forward + backward rate (a lower bound: the optimizer step and the data augmentation come on top)."""
    passes = cfg.epochs * images * (cfg.consistency_samples if cfg.consistency_weight > 0 else 1)
    passes *= 2 if cfg.stability_weight > 0 else 1  # the clean and the noisy copy
    if cfg.max_steps:
        passes = min(passes, cfg.max_steps * cfg.batch_size)
    with torch.random.fork_rng(devices=[]):  # the timing's random images leave the run's random stream alone
        rate = measure_throughput(model.to(device).eval(), device, batch=min(cfg.batch_size, 64))["gradient"]
    model.train()
    return (
        f"estimate: at least {duration(passes / rate)} on {device} for all {cfg.epochs} epochs ({passes:,} noisy "
        f"images forward and backward at {rate:,.0f} images/s measured now; augmentation and the optimizer's "
        "steps come on top)"
    )


def check_config(cfg: TrainConfig) -> None:
    """Every number of a training recipe, before anything is loaded."""
    if cfg.noise not in NOISES:
        raise AncerInputError(f"noise={cfg.noise!r}; use one of {NOISES}")
    if cfg.precision not in TRAINING_PRECISIONS:
        raise AncerInputError(f"precision={cfg.precision!r}; use {' or '.join(TRAINING_PRECISIONS)}")
    check_positive("sigma", cfg.sigma)
    check_positive("lr", cfg.lr)
    check_count("epochs", cfg.epochs)
    check_count("batch_size", cfg.batch_size)
    check_count("consistency_samples", cfg.consistency_samples)
    check_seed(cfg.seed)
    for name in ("max_train", "max_steps"):
        if getattr(cfg, name) is not None:
            check_count(name, getattr(cfg, name))
    for name in ("weight_decay", "stability_weight", "consistency_weight", "consistency_entropy"):
        check_nonnegative(name, getattr(cfg, name))
    if not (isinstance(cfg.label_smoothing, (int, float)) and 0 <= cfg.label_smoothing < 1):
        raise AncerInputError(f"label_smoothing={cfg.label_smoothing!r} must be in [0, 1)")
    if cfg.consistency_weight > 0 and cfg.stability_weight > 0:
        raise AncerInputError("choose one regularizer: consistency (Jeong & Shin) or stability (Yang et al.), not both")


def _load_resume_state(partial: Path, device) -> dict:
    """The resume state of an interrupted run, data only (``weights_only``: a planted pickle never runs)."""
    try:
        st = torch.load(partial, map_location=device, weights_only=True)
        if not (isinstance(st, dict) and {"config", "model", "opt", "sched", "gen", "torch_rng"} <= set(st)):
            raise TypeError("not a resume state")
    except Exception as e:
        raise AncerInputError(
            f"{partial} is not a resume state this tool wrote ({type(e).__name__}); delete it to train from the start"
        ) from None
    return st


def _train(cfg: TrainConfig, model, x_all, y_all, gen, out: Path, partial: Path, device, resume: bool, log) -> dict:
    model = model.to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(y_all) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    if total >= MIN_SCHEDULE_STEPS:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total, pct_start=0.25)
    else:  # a smoke run: OneCycleLR's warm-up has no step to rise in (and divides by zero at 4 steps)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
        if log:
            log(
                f"{total} steps are too few for the one-cycle schedule (≥ {MIN_SCHEDULE_STEPS}): constant lr {cfg.lr:g}"
            )
    start_epoch, wall = 0, 0.0
    if resume and partial.is_file():
        st = _load_resume_state(partial, device)
        saved = {**asdict(TrainConfig()), **st["config"]}  # a field added since then was at its default
        if _recipe(saved) == _recipe(asdict(cfg)):
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
            sched.load_state_dict(st["sched"])
            gen.set_state(st["gen"])
            torch.set_rng_state(st["torch_rng"])
            start_epoch, wall = st["epoch"], st["wall"]
            log(f"resuming {out.name} at epoch {start_epoch}/{cfg.epochs}")
        else:
            diff = {k: (saved[k], v) for k, v in _recipe(asdict(cfg)).items() if saved.get(k) != v}
            log(f"{partial.name} was made with another recipe {diff}: training {out.name} from the start")
    dev_gen = gen if device == "cpu" else torch.Generator(device=device).manual_seed(cfg.seed + 1)
    step = start_epoch * steps_per_epoch
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(y_all), generator=gen)
        bar = Progress(steps_per_epoch, f"epoch {epoch + 1}/{cfg.epochs}", log=log)
        total_loss = 0.0
        for i in range(steps_per_epoch):
            sel = perm[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            xb = augment(x_all[sel].to(device), dev_gen)
            loss = _loss(model, xb, y_all[sel].to(device), cfg, dev_gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            value = loss.item()
            if not math.isfinite(value):  # stop before a NaN network is saved (and later certified as class 0)
                raise NonFiniteOutputError(
                    f"training diverged at step {step + 1} (epoch {epoch + 1}): the loss is {value}; nothing was "
                    f"saved to {out.name} — train again with a smaller --lr (now {cfg.lr:g})"
                )
            total_loss += value
            step += 1
            bar.update(i + 1, f"loss {total_loss / (i + 1):.3f}")
            if cfg.max_steps and step >= cfg.max_steps:
                break
        wall += time.time() - t0
        torch.save(
            {
                "config": asdict(cfg),
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "sched": sched.state_dict(),
                "gen": gen.get_state(),
                "torch_rng": torch.get_rng_state(),
                "epoch": epoch + 1,
                "wall": wall,
            },
            partial,
        )
        if cfg.max_steps and step >= cfg.max_steps:
            break
    model.eval()
    card = _card(cfg, model, len(y_all), wall, one_cycle=total >= MIN_SCHEDULE_STEPS)
    save_checkpoint(model, cfg.arch, card, out)
    partial.unlink(missing_ok=True)
    return card


def _card(cfg: TrainConfig, model, images: int, wall: float, one_cycle: bool) -> dict:
    """The model card: how the model was trained (the whole recipe), on what, on which machine, in how long."""
    noise = noise_for(cfg.noise)
    return {
        "arch": cfg.arch,
        "noise": noise.name,
        "sigma": cfg.sigma,
        "theta": float(noise.theta_from_sigma(cfg.sigma)),
        "theta_meaning": noise.theta_meaning,
        "norm": noise.norm,
        "training": {
            **asdict(cfg),
            "data_root": cfg.data_root and Path(cfg.data_root).name,
            "init_from": cfg.init_from and Path(cfg.init_from).name,
            "optimizer": f"SGD nesterov momentum 0.9, {'one-cycle' if one_cycle else 'constant'} LR",
            "augmentation": "random crop (pad 4) + horizontal flip, then noise in [0,1] pixel space",
            "loss": _loss_words(cfg),
        },
        "data": "CIFAR-10 train split ("
        + (
            "original release"
            if cfg.data_root and (Path(cfg.data_root) / "cifar-10-batches-py").is_dir()
            else "JPEG re-encoded copy"
        )
        + f"), {images} images",
        "parameters": count_parameters(model),
        "wall_time_s": round(wall, 1),
        "hardware": hardware(),
        "torch": str(torch.__version__),
        "python": sys.version.split()[0],
    }
