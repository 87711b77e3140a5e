"""Cached resources (test split, models, this device's speed) and the job lock shared by all sessions."""

from __future__ import annotations

import threading

import streamlit as st
import torch

import ancer_core as ac


@st.cache_resource(show_spinner="loading CIFAR-10 test split…")
def test_split():
    x, y = ac.load_cifar10("test")
    return x, y.numpy()


@st.cache_data(max_entries=2048)
def thumbnail(index: int):
    """One test image as an H×W×3 uint8 array (for the gallery)."""
    x, _ = test_split()
    return (x[index].permute(1, 2, 0).numpy() * 255).round().astype("uint8")


@st.cache_resource(show_spinner="loading model…")
def model(name: str, device: str):
    return ac.load_model(name, device)


@st.cache_resource
def job_lock() -> threading.Lock:
    """One certification job at a time on this server: other sessions wait in line."""
    return threading.Lock()


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_label() -> str:
    return (
        f"GPU: {torch.cuda.get_device_name(0)}"
        if torch.cuda.is_available()
        else f"CPU ({torch.get_num_threads()} threads)"
    )


@st.cache_data(show_spinner="measuring this device's speed (once)…")
def throughput(name: str, device: str) -> dict[str, float]:
    """Noisy images per second through the model (inference, and with gradients); see
    :func:`ancer_core.measure_throughput`."""
    return ac.measure_throughput(model(name, device), device)


def duration(seconds: float) -> str:
    return (
        f"{seconds:.0f} s"
        if seconds < 90
        else f"{seconds / 60:.0f} min"
        if seconds < 5400
        else f"{seconds / 3600:.1f} h"
    )
