"""What a benchmark run measures (its plan and presets) and the measurements every section shares:
the hardware, the model, FLOPs."""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import peer  # the authors' packages, when installed
import torch

from ancer_core.core import PRESETS as RUN_PRESETS
from ancer_core.core import Settings
from ancer_core.models import (
    build_model,
    cpu_features,
    cpu_name,
    for_inference,
    isa_caps,
    load_model,
    timed,
)

HERE = Path(__file__).resolve().parent

DEFAULT = "batched, default"  # the variant name of our default path
PEER = f"authors' package (ancer-python {peer.VERSION})"


@dataclass(frozen=True)
class Plan:
    """What one run measures. ``images``: images per batched call (ours); ``baseline_images``:
    images the one-at-a-time original-style CERTIFY runs on (s/image is what is compared; in the
    end-to-end section its time is scaled to all images — each image costs the same — while the
    original-style optimizers run on the whole batch, as the original batches them)."""

    model: str = "small-gaussian-0.25"
    sigma: float = 0.25
    images: int = 2
    baseline_images: int = 1
    n0: int = 100
    n: int = 100_000
    alpha: float = 0.001
    variant_n: int = 10_000  # N for the rows that compare the means (throughput does not depend on N)
    ancer_iterations: int = 100
    ancer_samples: int = 100
    e2e: str = "quick"  # a pipeline preset for the end-to-end section
    e2e_images: int = 1
    compile: bool = True
    sections: tuple[str, ...] = ("certify", "ancer", "end-to-end", "attack")
    attack_steps: int = 20  # the live page's "Try to break it" defaults
    attack_samples: int = 32
    all_variants: bool = False  # also the rows meant for CUDA (fp16, TF32 off, channels-last, big batches…)
    pairs: int = 6  # back-to-back pairs (default vs each mean) behind each ratio to our default
    pair_n: int = 2_000  # N of those pairs for CERTIFY (ANCER: a fifth of the iterations)


PRESETS = {
    "smoke": Plan(
        images=2,
        baseline_images=1,
        n0=8,
        n=64,
        variant_n=64,
        ancer_iterations=2,
        ancer_samples=4,
        e2e="smoke",
        e2e_images=1,
        compile=False,
        all_variants=True,
        pairs=1,
        pair_n=64,
        attack_steps=2,
        attack_samples=4,
    ),
    "cpu": Plan(),
    "paper": Plan(
        model="arch:resnet18-imagenet-style",
        images=128,
        baseline_images=4,
        variant_n=20_000,
        e2e="paper",
        e2e_images=128,
    ),
}
E2E_SETTINGS = {
    "quick": RUN_PRESETS["quick"],
    "paper": RUN_PRESETS["paper"],
    "smoke": Settings(n0=8, n=64, iso_iterations=2, iso_samples=4, ancer_iterations=2, ancer_samples=4),
}


@contextlib.contextmanager
def strict_fp32(on: bool):
    """TF32 off for convolutions and matrix products (CUDA) while ``on``; restores the flags."""
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    if on:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def machine_details(device: torch.device) -> dict:
    """The machine in detail, as a benchmark report records it (a result file records
    :func:`ancer_core.models.hardware`, one line)."""
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    info["cpu"] = cpu_name()
    info["cpu_features"] = cpu_features()  # which precisions this CPU runs natively
    info["isa_caps"] = isa_caps()  # … unless the environment caps the kernels below them
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        info.update(
            gpu=p.name,
            gpu_memory_gib=round(p.total_memory / 2**30, 1),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    return info


def forward_flops(model: torch.nn.Module, device: torch.device) -> int:
    """FLOPs (2 × multiply-adds) of one forward pass on one 3×32×32 image, by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.zeros(1, 3, 32, 32, device=device))
    return int(counter.get_total_flops())


def matmul_gflops(device: torch.device, size: int = 2048, reps: int = 5) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    with strict_fp32(True):
        a @ b
        _, s = timed(lambda: [a @ b for _ in range(reps)], device)
    return 2 * size**3 * reps / s / 1e9


def get_model(spec: str, device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module, str]:
    """(ours: as load_model returns it — BatchNorm folded, channels-last weights on a CPU; the
    checkpoint's own modules, unfolded, in NCHW; a name)."""
    if spec.startswith("arch:"):
        torch.manual_seed(0)
        plain = build_model(spec[5:]).to(device).eval()
        return for_inference(plain, device), plain, f"{spec[5:]} (random weights: speed only)"
    return load_model(spec, device), load_model(spec, device, fold_bn=False), spec
