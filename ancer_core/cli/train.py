"""``train``: a base classifier with noise augmentation (resumable per epoch)."""

from __future__ import annotations

import argparse
import json
import sys

from ..core.noise import GAUSSIAN, UNIFORM
from ..models.training import TrainConfig, train
from .common import device_from_flag


def add_arguments(t: argparse.ArgumentParser) -> None:
    t.add_argument("--arch", default="small-cnn")
    t.add_argument("--noise", choices=(GAUSSIAN.name, UNIFORM.name), required=True)
    t.add_argument("--sigma", type=float, required=True, help="noise std (uniform: λ = √3σ)")
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument(
        "--stability",
        type=float,
        default=0.0,
        help="γ of Yang et al.'s stability loss (0 = off; original ANCER ℓ1 models used 6)",
    )
    t.add_argument(
        "--consistency",
        type=float,
        default=0.0,
        help="λ of Jeong & Shin's consistency regularization for Gaussian noise (0 = off; they use 10–20)",
    )
    t.add_argument("--consistency-samples", type=int, default=2, help="noisy copies per image (m) with --consistency")
    t.add_argument("--label-smoothing", type=float, default=0.0)
    t.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="bf16: autocast the forward and "
        "backward passes (weights and optimizer stay fp32); faster on CPUs with native bf16",
    )
    t.add_argument("--channels-last", action="store_true", help="NHWC layout (oneDNN's fast path on CPUs)")
    t.add_argument("--init-from", default=None, help="fine-tune: start from this checkpoint (shipped name or path)")
    t.add_argument("--data-root", required=True, help="original CIFAR-10 release or the JPEG archive (.tar.xz)")
    t.add_argument("--out", required=True, help="checkpoint path (.pt); a .json model card is written beside it")
    t.add_argument("--device", default="auto")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--max-train", type=int, default=None, help="use a random subset of this many train images")
    t.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke tests)")


def run(args) -> int:
    device = device_from_flag(args.device)
    cfg = TrainConfig(
        arch=args.arch,
        noise=args.noise,
        sigma=args.sigma,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        stability_weight=args.stability,
        consistency_weight=args.consistency,
        consistency_samples=args.consistency_samples,
        label_smoothing=args.label_smoothing,
        precision=args.precision,
        channels_last=args.channels_last,
        init_from=args.init_from,
        seed=args.seed,
        max_train=args.max_train,
        max_steps=args.max_steps,
        data_root=args.data_root,
    )
    card = train(cfg, args.out, str(device), log=lambda *a: print(*a, file=sys.stderr))
    print(json.dumps(card, indent=2))
    return 0
