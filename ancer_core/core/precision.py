"""How the network runs: the device when none is named, and the precisions of CERTIFY and of the
optimizers (docs/performance.md). One home for these rules: the command line, the app, the results
scripts and the benchmarks all ask here.

A certificate is a statement about the network *as run*: bf16/fp16 autocast or the calibrated int8
network certify that network. The optimizers' precision never affects soundness (θ only has to be
fixed before CERTIFY samples).
"""

from __future__ import annotations

from pathlib import Path

import torch

from .smoothing import SamplingConfig

# CERTIFY's precisions → autocast dtype (int8 runs the model's calibrated int8 network, no autocast)
PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16, "int8": None}
OPTIMIZER_PRECISIONS = ("fp32", "bf16", "fp16")


def default_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype of a precision (None: run as stored, fp32 or the int8 network)."""
    return PRECISIONS[precision]


def certify_config(precision: str, channels_last: bool = False, **options) -> SamplingConfig:
    """CERTIFY's sampling configuration for ``precision``: its autocast, and channels-last for int8
    (the layout the x86 int8 kernels are fast in); ``options``: the rest of :class:`SamplingConfig`."""
    return SamplingConfig(
        autocast_dtype=autocast_dtype(precision), channels_last=channels_last or precision == "int8", **options
    )


def cpu_features() -> dict[str, bool]:
    """The CPU's vector and matrix extensions that decide which precision is fast (Linux
    ``/proc/cpuinfo`` flags; all False where it cannot be read)."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    names = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {n: n in flags for n in names}


def native_bf16(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` computes in bf16 natively: a CUDA GPU that supports it, or a CPU with
    AVX-512 bf16 or AMX (elsewhere bf16 is emulated and slower than fp32)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_bf16_supported()
    feats = cpu_features()
    return feats["avx512_bf16"] or feats["amx_bf16"]


def default_optimizer_precision(precision: str, device: str | torch.device = "cpu") -> str:
    """The optimizers' precision when not chosen: CERTIFY's autocast (bf16, fp16); fp32 beside fp32
    CERTIFY; beside the int8 network, bf16 where ``device`` runs it natively, else fp32."""
    if precision == "int8":
        return "bf16" if native_bf16(device) else "fp32"
    return precision
