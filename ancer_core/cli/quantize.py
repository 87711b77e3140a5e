"""``quantize``: calibrate a model's int8 network on noisy training images (for --precision int8)."""

from __future__ import annotations

import argparse
import sys

import torch

from ..core.noise import noise_for
from ..core.smoothing import make_generators
from ..core.validation import AncerInputError, check_count, check_seed
from ..data.cifar10 import load_cifar10
from ..data.files import prepare_output
from ..models.checkpoints import load_model
from ..models.quantized import calibrate_int8, int8_path


def add_arguments(q: argparse.ArgumentParser) -> None:
    q.add_argument("--model", required=True, help="shipped model name or checkpoint path")
    q.add_argument("--data-root", required=True, help="original CIFAR-10 release or the JPEG archive (train split)")
    q.add_argument("--images", type=int, default=512, help="training images to calibrate on")
    q.add_argument("--seed", type=int, default=0)


@torch.inference_mode()
def run(args) -> int:
    check_count("--images", args.images)
    check_seed(args.seed, "--seed")
    model = load_model(args.model, "cpu")  # before the data: a bad --model stops at once
    prepare_output(int8_path(args.model))
    x, _ = load_cifar10("train", args.data_root)
    if args.images > len(x):
        raise AncerInputError(f"--images {args.images}: the train split has {len(x)}")
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(args.seed))[: args.images]
    q = calibrate_int8(args.model, x[pick], seed=args.seed)
    # how often the int8 network agrees with the fp32 one on noisy test images, as CERTIFY will see them
    noise = noise_for(model.card.get("noise", "gaussian"))
    theta = float(noise.theta_from_sigma(float(model.card.get("sigma", 0.25))))
    xt, _ = load_cifar10("test")
    (gen,) = make_generators(args.seed, [0], "cpu")
    xb = xt[:1000] + theta * noise.sample_unit((1000, *xt.shape[1:]), "cpu", xt.dtype, gen)
    agree = float((q(xb).argmax(1) == model(xb).argmax(1)).float().mean())
    print(
        f"wrote {int8_path(args.model)}: calibrated on {args.images} noisy training images; top-1 agreement with "
        f"the fp32 network on 1,000 noisy test images: {100 * agree:.1f} %",
        file=sys.stderr,
    )
    return 0
