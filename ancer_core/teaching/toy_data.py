"""Seeded 2D binary data sets for teaching (paper Figure 1 and friends).

Each generator returns ``(X, y)`` with X float32 (n, 2) and y int64 in {0, 1}. The repository's
``toy_data/`` files are these generators with their default arguments, written by
:func:`write_toy_files`; :func:`load_toy` generates a set, or reads it from a folder of such files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.validation import AncerInputError


def radial(n: int = 600, seed: int = 0, r_inner: float = 1.0, r_outer: float = 2.0, noise: float = 0.15):
    """The paper's radially separable set: class 1 inside radius ~r_inner, class 0 on a ring at
    ~r_outer; the class is decided by the distance to the origin (Figure 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    r = np.where(y == 1, rng.uniform(0, r_inner, n), rng.normal(r_outer, noise, n))
    a = rng.uniform(0, 2 * np.pi, n)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1).astype(np.float32), (y).astype(np.int64)


def moons(n: int = 600, seed: int = 0, noise: float = 0.12):
    """Two interleaving half circles (curved boundary: anisotropy helps near the tips)."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n, noise=noise, random_state=seed)
    return (X - [0.5, 0.25]).astype(np.float32), y.astype(np.int64)


def spiral(n: int = 600, seed: int = 0, noise: float = 0.08, turns: float = 1.5):
    """Two interleaved spirals: thin class regions, small certificates everywhere."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = rng.uniform(0.15, 1, n) * turns * 2 * np.pi
    r = t / (turns * 2 * np.pi) * 2
    X = np.stack([r * np.cos(t + np.pi * y), r * np.sin(t + np.pi * y)], 1) + rng.normal(0, noise, (n, 2))
    return X.astype(np.float32), y.astype(np.int64)


def linear(n: int = 600, seed: int = 0, angle_deg: float = 30.0, margin: float = 0.2):
    """Linearly separable along one direction: the optimal ellipse is long along the boundary,
    and a rotated ellipse (full covariance) beats any axis-aligned one unless the angle is 0/90°."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 2))
    a = np.deg2rad(angle_deg)
    s = X @ np.array([np.cos(a), np.sin(a)])
    keep = np.abs(s) > margin
    X, s = X[keep], s[keep]
    return X.astype(np.float32), (s > 0).astype(np.int64)


TOY_DATASETS = {"radial": radial, "moons": moons, "spiral": spiral, "linear": linear}


def load_toy(name: str, folder: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Toy set ``name`` from its generator, or read from ``folder/NAME.csv`` (x1,x2,label) when a
    folder is given."""
    if name not in TOY_DATASETS:
        raise AncerInputError(f"toy data set {name!r} does not exist; choose one of {', '.join(TOY_DATASETS)}")
    if folder is None:
        return TOY_DATASETS[name]()
    path = Path(folder) / f"{name}.csv"
    if not path.is_file():
        raise AncerInputError(f"{str(path)!r} does not exist; write the files with write_toy_files(folder)")
    arr = np.loadtxt(path, delimiter=",", skiprows=1)
    return arr[:, :2].astype(np.float32), arr[:, 2].astype(np.int64)


def write_toy_files(folder: str | Path) -> None:
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    for name, gen in TOY_DATASETS.items():
        X, y = gen()
        np.savetxt(
            folder / f"{name}.csv",
            np.column_stack([X, y]),
            delimiter=",",
            header="x1,x2,label",
            comments="",
            fmt=["%.6f", "%.6f", "%d"],
        )
