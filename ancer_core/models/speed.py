"""How fast a model runs on a device: the timer shared by the benchmarks and the app's speed probe."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


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


def measure_throughput(model: torch.nn.Module, device: torch.device | str, batch: int = 256) -> dict[str, float]:
    """Noisy 3×32×32 images per second through ``model`` on ``device``: ``forward`` (inference)
    and ``gradient`` (forward + backward w.r.t. the input, as the optimizers do); one warm-up, best of two."""
    x = torch.rand(batch, 3, 32, 32, device=device)

    def fwd():
        with torch.inference_mode():
            model(x).argmax(1)

    def grad():
        xi = x.clone().requires_grad_(True)
        torch.autograd.grad(torch.softmax(model(xi), 1)[:, 0].sum(), xi)

    out = {}
    for name, fn in (("forward", fwd), ("gradient", grad)):
        fn()
        out[name] = batch / min(timed(fn, device)[1] for _ in range(2))
    return out
