"""How fast a model runs on a device: the timer shared by the benchmarks and the app's speed probe."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import torch

from ..core.precision import autocast as precision_autocast
from ..core.precision import cpu_features, cpuinfo, default_device


def timed(fn: Callable[[], object], device: torch.device | str) -> tuple[object, float]:
    """``fn()`` and its wall time in seconds, with the device synchronized before and after (CUDA
    runs asynchronously: without it the time would only cover launching the work)."""

    def sync():
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)

    sync()
    t = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - t


def duration(seconds: float) -> str:
    """A duration in the unit a reader wants: seconds below 1.5 min, minutes below 1.5 h, then hours
    (the app's estimates and queue, the command line's and training's estimates)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


# Environment variables that make PyTorch's CPU kernels use fewer instructions than the CPU has:
# ATen's vectorized kernels, oneDNN (fp32/bf16 convolutions, int8 on VNNI) and FBGEMM (int8). Setting
# all three to AVX2 runs a newer CPU as an AVX2-only one would, which is how the AVX2 figures in
# docs/performance.md were taken; a timing taken under them must say so.
ISA_CAP_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "FBGEMM_ENABLE_INSTRUCTIONS")


def isa_caps() -> dict[str, str]:
    """The instruction-set caps set in this process's environment (empty: the kernels use all the
    CPU has)."""
    return {k: os.environ[k] for k in ISA_CAP_VARIABLES if os.environ.get(k)}


def cpu_name() -> str:
    return cpuinfo("model name") or platform.processor() or platform.machine()


def hardware(device: torch.device | str | None = None) -> str:
    """What a model card or result file records as the machine that ran ``device`` (default: the
    GPU when there is one): the GPU's name, or the CPU's name, threads and the extensions that
    decide which precision is fast (and any cap the environment puts on them)."""
    on_gpu = torch.device(device or default_device()).type == "cuda"
    if on_gpu:
        return torch.cuda.get_device_name(device)
    ext = ", ".join(k for k, v in cpu_features().items() if v) or "no AVX2"
    caps = "".join(f"; {k}={v}" for k, v in isa_caps().items())
    return f"{cpu_name()} ({torch.get_num_threads()} threads; {ext}{caps})"


def measure_throughput(
    model: torch.nn.Module,
    device: torch.device | str,
    batch: int = 256,
    autocast: torch.dtype | None = None,
    gradient: bool = True,
) -> dict[str, float]:
    """Noisy 3×32×32 images per second through ``model`` on ``device``: ``forward`` (inference,
    in ``autocast`` when given) and ``gradient`` (forward + backward w.r.t. the input, as the
    optimizers do, in fp32; not for an int8 network: ``gradient=False``); one warm-up, best of two."""
    x = torch.rand(batch, 3, 32, 32, device=device)
    if torch.device(device).type == "cpu":
        x = x.contiguous(memory_format=torch.channels_last)

    def fwd():
        with torch.inference_mode(), precision_autocast(device, autocast):
            model(x).argmax(1)

    def grad():
        xi = x.clone().requires_grad_(True)
        torch.autograd.grad(torch.softmax(model(xi), 1)[:, 0].sum(), xi)

    out = {}
    for name, fn in (("forward", fwd), ("gradient", grad))[: 2 if gradient else 1]:
        fn()
        out[name] = batch / min(timed(fn, device)[1] for _ in range(2))
    return out
