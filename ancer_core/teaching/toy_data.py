"""Seeded 2D binary data sets for teaching (paper Figure 1 and friends), and sets drawn by hand.

Each generator returns ``(X, y)`` with X float32 (n, 2) and y int64 in {0, 1}. The repository's
``toy_data/`` files are these generators with their default arguments, written by
:func:`write_toy_files`; :func:`load_toy` generates a set, or reads it from a folder of such files.

A drawn set travels as CSV (``x1,x2,label``: :func:`toy_csv`, :func:`parse_toy_csv`) or inside a
link (:func:`encode_points`, :func:`decode_points`: coordinates on a 0.01 grid, zlib-compressed,
URL-safe base64), and is checked by :func:`check_toy` before anything is trained on it.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
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
    return parse_toy_csv(path.read_text())


TOY_LIMIT = 2.8  # the toy page's plane is [-TOY_LIMIT, TOY_LIMIT]²
MAX_TOY_POINTS = 1000
_STEP = 0.01  # a drawn point's coordinates are kept to this step (in links and files alike)


def check_toy(X, y) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` as float32 (n, 2) and int64 labels, or an error that says what to change: labels 0
    and 1 only, at least two points of each class, at most :data:`MAX_TOY_POINTS`, inside the plane."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise AncerInputError(f"a toy data set is n points (x1, x2) with n labels; got {X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise AncerInputError("a toy point has a coordinate that is not a number; remove it")
    if np.abs(X).max(initial=0) > TOY_LIMIT:
        raise AncerInputError(f"toy points must lie in [-{TOY_LIMIT}, {TOY_LIMIT}]² (the plane the page draws)")
    if not np.isin(y, (0, 1)).all():
        bad = y[~np.isin(y, (0, 1))][0]
        raise AncerInputError(f"toy labels are 0 or 1 (two classes); one is {bad!r}: make it 0 or 1")
    counts = np.bincount(y.astype(np.int64), minlength=2)
    if counts.min() < 2:
        raise AncerInputError(
            f"the set has {counts[0]} point(s) of class 0 and {counts[1]} of class 1: place at least two of each"
        )
    if len(y) > MAX_TOY_POINTS:
        raise AncerInputError(f"{len(y)} points is more than the {MAX_TOY_POINTS} a drawn set may have")
    return X.astype(np.float32), y.astype(np.int64)


def toy_csv(X, y) -> str:
    """The set as ``x1,x2,label`` text (the ``toy_data/`` format)."""
    out = io.StringIO()
    table = np.column_stack([X, y])
    np.savetxt(out, table, delimiter=",", header="x1,x2,label", comments="", fmt=["%.6f", "%.6f", "%d"])
    return out.getvalue()


def parse_toy_csv(text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """A set from ``x1,x2,label`` text with that header line (an upload, a ``toy_data/`` file)."""
    text = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines or lines[0].replace(" ", "").lower() != "x1,x2,label":
        raise AncerInputError("a toy CSV starts with the line x1,x2,label, then one point per line")
    if len(lines) == 1:
        raise AncerInputError("this toy CSV has its header x1,x2,label but no point; add one point per line")
    try:
        arr = np.loadtxt(io.StringIO("\n".join(lines[1:])), delimiter=",", ndmin=2)
    except ValueError as e:
        raise AncerInputError(f"a toy CSV line is not three numbers x1,x2,label ({e})") from None
    if arr.shape[1] != 3:
        raise AncerInputError(f"a toy CSV has three columns x1,x2,label; this one has {arr.shape[1]}")
    return check_toy(arr[:, :2], arr[:, 2])  # a label 0.4 or 1.7 is refused, never rounded to a class


def encode_points(X, y) -> str:
    """A drawn set as a short URL-safe text: coordinates in steps of 0.01 (int16) and the labels,
    zlib-compressed, base64 without padding."""
    X, y = check_toy(X, y)
    q = np.round(X / _STEP).astype("<i2")
    raw = len(y).to_bytes(2, "little") + q.tobytes() + np.packbits(y.astype(np.uint8)).tobytes()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


_MAX_RAW = 2 + 4 * MAX_TOY_POINTS + -(-MAX_TOY_POINTS // 8)  # the bytes of the largest set a link holds
_MAX_LINK = 4 * (_MAX_RAW + 64) // 3 + 8  # its base64 text, even if zlib could not shrink it at all


def decode_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The set :func:`encode_points` wrote (a damaged, truncated, padded or oversized link is an error that
    says so; the text and what it inflates to are bounded before any work, so no link can take memory)."""
    if len(text) > _MAX_LINK:
        raise AncerInputError(
            f"the drawn points in this link are {len(text):,} characters, more than {MAX_TOY_POINTS} points take "
            f"({_MAX_LINK:,}); draw them again or load a CSV"
        )
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), _MAX_RAW + 1)
        if len(raw) > _MAX_RAW or inflate.unconsumed_tail:
            raise ValueError(f"it inflates beyond the {MAX_TOY_POINTS} points a link may hold")
        if not inflate.eof:
            raise ValueError("it is cut short")
        n = int.from_bytes(raw[:2], "little")
        if len(raw) != 2 + 4 * n + -(-n // 8):
            raise ValueError(f"{len(raw)} bytes for {n} points")
        q = np.frombuffer(raw[2 : 2 + 4 * n], dtype="<i2").reshape(n, 2)
        y = np.unpackbits(np.frombuffer(raw[2 + 4 * n :], dtype=np.uint8))[:n]
    except (binascii.Error, zlib.error, ValueError) as e:
        raise AncerInputError(
            f"the drawn points in this link are damaged ({e}); draw them again or load a CSV"
        ) from None
    return check_toy(q.astype(np.float64) / round(1 / _STEP), y)  # 280 / 100 is 2.8; 280 × 0.01 is just above


def write_toy_files(folder: str | Path) -> None:
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    for name, gen in TOY_DATASETS.items():
        (folder / f"{name}.csv").write_text(toy_csv(*gen()))
