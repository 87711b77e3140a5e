"""Cached resources (test split, models, this device's speed) and the job lock shared by all sessions."""

from __future__ import annotations

import threading

import streamlit as st
import torch

from ancer_core.core import precision as library_precision
from ancer_core.core.noise import smoothing_theta
from ancer_core.core.precision import autocast_dtype, default_device
from ancer_core.core.protocol import warm_up
from ancer_core.core.settings import preset
from ancer_core.data.cifar10 import load_cifar10
from ancer_core.data.store import ResultStore, default_store_path
from ancer_core.models import certifying_network, speed
from ancer_core.models.certifying_network import Certifying
from ancer_core.models.checkpoints import load_model
from ancer_core.models.quantized import int8_ready, load_int8
from ancer_core.models.speed import measure_throughput
from ancer_core.teaching import bound

from .jobs import JobBoard


@st.cache_resource(show_spinner="loading CIFAR-10 test split…")
def test_split():
    x, y = load_cifar10("test")
    return x, y.numpy()


@st.cache_data(max_entries=2048)
def thumbnail(index: int):
    """One test image as an H×W×3 uint8 array (for the gallery)."""
    x, _ = test_split()
    return (x[index].permute(1, 2, 0).numpy() * 255).round().astype("uint8")


@st.cache_resource(show_spinner="loading model…")
def model(name: str, device: str):
    return load_model(name, device)


def _result_bytes(run) -> int:
    """Bytes of the tensors and arrays a finished live run holds (θ, snapshots, traces): what the job
    board's memory counts."""
    import numpy as np

    seen, total, stack = set(), 0, [run]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, torch.Tensor):
            total += o.element_size() * o.nelement()
        elif isinstance(o, np.ndarray):
            total += o.nbytes
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
        elif hasattr(o, "__dict__"):
            stack.extend(vars(o).values())
    return total


@st.cache_resource
def job_board() -> JobBoard:
    """The server's queue and its memory of finished runs, shared by every session: a class running the
    same image gets one computation (at most 64 runs or 256 MB kept, least recently used first out)."""
    return JobBoard(max_entries=64, max_bytes=256 * 2**20, size_of=_result_bytes)


def result_store() -> ResultStore:
    """The result store the job board reads and writes (``$ANCER_STORE``, else ``results.sqlite`` in the
    cache folder): prepared lectures, and every finished run, across restarts of the server."""
    return _store(str(default_store_path()))


@st.cache_resource
def _store(path: str) -> ResultStore:
    return ResultStore(path)


@st.cache_resource
def job_lock() -> threading.Lock:
    """One certification job at a time on this server: other sessions wait in line."""
    return threading.Lock()


def device() -> torch.device:
    return default_device()


def device_label() -> str:
    return (
        f"GPU: {torch.cuda.get_device_name(device())}"
        if device().type == "cuda"
        else f"CPU ({torch.get_num_threads()} threads)"
    )


@st.cache_data(show_spinner="measuring this device's speed (once)…")
def throughput(name: str, device: str) -> dict[str, float]:
    """Noisy images per second through the model (inference, and with gradients); see
    :func:`ancer_core.measure_throughput`."""
    return measure_throughput(model(name, device), device)


def duration(seconds: float) -> str:
    return speed.duration(seconds)


@st.cache_data(show_spinner="measuring which class this network answers under heavy noise (once)…")
def heavy_noise_answer(name: str, norm: str, theta0: float) -> tuple[int, float]:
    """The class the network answers most at 4 × ``theta0`` and its share of the votes, on 20 test images
    (every 500th) × 16 noise draws: the attractor an unbounded θ can grow into."""
    x, y = test_split()
    xs = x[::500].to(device())
    return bound.heavy_noise_answer(model(name, str(device())), xs, y[::500], theta0, norm)


@st.cache_resource(show_spinner="loading the int8 network…")
def int8_model(name: str):
    return load_int8(name)


def certifying(name: str, precision: str, optimizer_precision: str | None = None) -> Certifying:
    """What ``precision`` decides for model ``name`` on this server's device (:func:`ancer_core.models.certifying`),
    the int8 network loaded once per server."""
    return certifying_network.certifying(name, precision, optimizer_precision, device(), load=int8_model)


def offered_precisions(name: str) -> list[str]:
    """The precisions CERTIFY runs well here: fp32 always; on a CPU, bf16 where it has native bf16 units
    and int8 where the model has a calibration (and PyTorch the x86 quantized engine)."""
    return library_precision.offered_precisions(device(), int8_ready(name))


@st.cache_resource
def _measured_speeds() -> dict:
    return {}


def known_precision_speeds(name: str, device: str) -> dict[str, float] | None:
    """:func:`precision_speeds` if it was measured on this server already (None: not yet)."""
    return _measured_speeds().get((name, device))


@st.cache_resource(show_spinner="preparing this device for a first run (once)…")
def warmed_up(name: str, device: str, norm: str, precision: str, optimizer_precision: str) -> float:
    """Seconds spent running the three methods once, lightly, on this server (:func:`ancer_core.warm_up`):
    the kernels a run builds the first time are built before a student's first click, not during it."""
    settings = preset("quick")
    return warm_up(
        model(name, device),
        norm,
        smoothing_theta(norm, 0.25),
        settings,
        **certifying(name, precision, optimizer_precision).run_options(),
        device=device,
    )


@st.cache_data(show_spinner="measuring this device's speed in each precision (once)…")
def precision_speeds(name: str, device: str) -> dict[str, float]:
    """CERTIFY's forward images/s in each precision this device runs well (:func:`offered_precisions`)."""
    out = {}
    for p in library_precision.offered_precisions(device, int8_ready(name)):
        if p == "fp32":
            out[p] = throughput(name, device)["forward"]
        else:
            net = certifying(name, p).sampled(model(name, device))
            out[p] = measure_throughput(net, device, autocast=autocast_dtype(p), gradient=False)["forward"]
    _measured_speeds()[(name, device)] = out
    return out
