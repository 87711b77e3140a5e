"""The toy page's computations, each kept in the result store under a key of its inputs and the library's
version: the trained toy network, the (θ1, θ2) planes at a point, ANCER's path, and the regions of the
sections on a per-input θ. The app calls them (through its in-process cache); ``ancer lecture prepare``
calls :func:`prepare` for a lecture's toy steps, so that the page opens on them without training or
searching in front of the class. :class:`ToyView` holds the page's defaults, which are what a step shows.

A stored value is data only (arrays and numbers; a network as its weights), never a pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..core.noise import GAUSSIAN, UNIFORM, noise_for
from ..core.optimize import ancer
from ..data.store import ResultStore, store_key
from . import input_dependent as ID
from .smoothing2d import ToyMLP, objective_plane, optimal_certificates, train_toy
from .toy_data import TOY_DATASETS, decode_points, load_toy

GRID = np.geomspace(0.02, 2.0, 36)  # the (θ1, θ2) plane's grid, per axis
SPAN = np.linspace(-2.8, 2.8, 121)  # the page's plane, per axis
POINTS_SHOWN = 40  # the per-input sections use every k-th point of the set, about this many
SEED = 0


@dataclass(frozen=True)
class ToyView:
    """What the toy page shows when it opens: its defaults, and a lecture step's settings."""

    data: str = "radial"  # a shipped set's name, or a drawn set's link code
    noise: float = 0.1  # training noise σ (Gaussian augmentation)
    hidden: int = 64
    x1: float = 1.1
    x2: float = 0.0
    rotation: float = 0.0  # radians
    norm: str = "l2"  # the norm of the plane's figure and of the per-input sections
    anisotropic: bool = False  # each point's θ in the overlapping-certificates section
    levels: tuple = (0.1, 0.2, 0.4, 0.8)  # the certified selector's levels (ℓ2; ℓ1: 1.5× them)
    tau: float = 0.2


def _stored(store: ResultStore | None, key: str, compute: Callable[[], dict]) -> dict:
    if store is None:
        return compute()
    found = store.get(key)
    if found is None:
        found = compute()
        store.put(key, found)
    return found


def toy_data(key: str) -> tuple[np.ndarray, np.ndarray]:
    """The set a key names: a shipped set, or a drawn one's link code."""
    return load_toy(key) if key in TOY_DATASETS else decode_points(key)


def subsample(X: np.ndarray) -> np.ndarray:
    return X[:: max(1, len(X) // POINTS_SHOWN)]


def toy_model(store: ResultStore | None, data: str, noise: float, hidden: int) -> ToyMLP:
    """The page's network trained on ``data`` (seeded), or its weights from the store."""

    def train() -> dict:
        X, y = toy_data(data)
        return {"weights": train_toy(X, y, hidden=hidden, noise_sigma=noise, seed=SEED).state_dict()}

    found = _stored(store, store_key("toy-model", data, float(noise), int(hidden), SEED), train)
    model = ToyMLP(hidden)
    model.load_state_dict(dict(found["weights"]))
    return model.eval()


def planes(
    store: ResultStore | None, data: str, noise: float, hidden: int, x1: float, x2: float, rotation: float
) -> dict:
    """Both noises' (θ1, θ2) planes at (x1, x2) and their optima (the rotation applies to ℓ2 only)."""

    def compute() -> dict:
        m = toy_model(store, data, noise, hidden)
        out = {}
        for n in (GAUSSIAN, UNIFORM):
            plane = objective_plane(m, [x1, x2], n, GRID, rotation=rotation if n.supports_rotation else 0.0)
            out[n.norm] = [plane, optimal_certificates(plane)]
        return out

    key = store_key("toy-planes", data, float(noise), int(hidden), float(x1), float(x2), float(rotation))
    return {k: tuple(v) for k, v in _stored(store, key, compute).items()}


def ancer_path(
    store: ResultStore | None,
    data: str,
    noise: float,
    hidden: int,
    x1: float,
    x2: float,
    norm: str,
    theta_iso: float,
) -> tuple[np.ndarray, np.ndarray]:
    """ANCER's θ at each of its 100 steps from the isotropic optimum at (x1, x2), and its last θ."""

    def compute() -> dict:
        m = toy_model(store, data, noise, hidden)
        x = torch.tensor([[x1, x2]], dtype=torch.float32)
        r = ancer(m, x, theta_iso, norm, iterations=100, samples=400, lr=0.04, seed=SEED, record_theta=True)
        return {"path": r.trace["theta"][:, 0, :], "theta": r.theta[0].numpy()}

    key = store_key("toy-ancer-path", data, float(noise), int(hidden), float(x1), float(x2), norm, float(theta_iso))
    found = _stored(store, key, compute)
    return np.asarray(found["path"]), np.asarray(found["theta"])


def _regions(store, key: str, compute: Callable[[], ID.Regions], cls=ID.Regions) -> ID.Regions:
    found = _stored(store, key, lambda: asdict(compute()))
    return cls(**{k: (v if k in ("norm", "anisotropic") else np.asarray(v)) for k, v in found.items()})


def data_dependent_regions(
    store: ResultStore | None, data: str, noise: float, hidden: int, norm: str, anisotropic: bool
) -> ID.Regions:
    """Each shown point's own optimal certificate (:func:`input_dependent.data_dependent_regions`)."""

    def compute() -> ID.Regions:
        m = toy_model(store, data, noise, hidden)
        return ID.data_dependent_regions(m, subsample(toy_data(data)[0]), norm, anisotropic)

    key = store_key("toy-dd-regions", data, float(noise), int(hidden), norm, bool(anisotropic))
    return _regions(store, key, compute)


def selector_regions(
    store: ResultStore | None, data: str, noise: float, hidden: int, norm: str, levels: tuple, tau: float
) -> ID.SelectorRegions:
    """The certified selector's regions at the shown points (:func:`input_dependent.certified_selector`)."""

    def compute() -> ID.Regions:
        m = toy_model(store, data, noise, hidden)
        selector = ID.LevelSelector(m, norm, levels, SPAN[::2])
        return ID.certified_selector(m, subsample(toy_data(data)[0]), selector, tau)

    key = store_key("toy-selector", data, float(noise), int(hidden), norm, tuple(map(float, levels)), float(tau))
    return _regions(store, key, compute, ID.SelectorRegions)


def fixed_regions(
    store: ResultStore | None, data: str, noise: float, hidden: int, norm: str, levels: tuple
) -> ID.Regions:
    """The fixed-θ regions of the level with the largest mean radius over the shown points."""

    def compute() -> ID.Regions:
        m = toy_model(store, data, noise, hidden)
        pts = subsample(toy_data(data)[0])
        return max((ID.fixed_regions(m, pts, norm, t) for t in levels), key=lambda g: g.radius.mean())

    key = store_key("toy-fixed-regions", data, float(noise), int(hidden), norm, tuple(map(float, levels)))
    return _regions(store, key, compute)


def selector_defaults(norm: str, levels: tuple = ToyView.levels, tau: float = ToyView.tau) -> tuple[tuple, float]:
    """The selector's levels and τ the page starts with for ``norm`` (ℓ1's uniform noise: 1.5× ℓ2's)."""
    if noise_for(norm).norm == "l1":
        return tuple(round(1.5 * v, 6) for v in levels), round(1.5 * tau, 6)
    return tuple(levels), tau


def prepare(store: ResultStore, view: ToyView) -> None:
    """Everything the toy page computes when it opens on ``view``, into ``store``."""
    pl = planes(store, view.data, view.noise, view.hidden, view.x1, view.x2, view.rotation)
    theta_iso = float(pl[view.norm][1]["isotropic"]["theta"][0])
    ancer_path(store, view.data, view.noise, view.hidden, view.x1, view.x2, view.norm, theta_iso)
    data_dependent_regions(store, view.data, view.noise, view.hidden, view.norm, view.anisotropic)
    levels, tau = selector_defaults(view.norm, view.levels, view.tau)
    selector_regions(store, view.data, view.noise, view.hidden, view.norm, tuple(sorted(levels)), tau)
    fixed_regions(store, view.data, view.noise, view.hidden, view.norm, tuple(sorted(levels)))
