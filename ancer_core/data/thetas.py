"""θ folders: one NumPy file per image, ``theta_IDX.npy`` (IDX: the test index, five digits).

Written by ``optimize --out`` (with ``theta_iso_IDX.npy``: ANCER's Isotropic DD start) and by the
results grid (``<model>/ancer-thetas``); read by ``certify --thetas``, the memory replay, the θ-map
browser. Each file is written under a temporary name and renamed, so a folder never holds half a θ.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..core.validation import AncerInputError

THETA_FOLDER = "ancer-thetas"  # the results grid's folder of ANCER's θ, beside the model's result files


def theta_file(folder: str | Path, index: int, stage: str = "") -> Path:
    """Where image ``index``'s θ is kept; ``stage="iso"``: the Isotropic DD θ an ANCER run started from."""
    return Path(folder) / (f"theta_{stage}_{index:05d}.npy" if stage else f"theta_{index:05d}.npy")


def save_theta(folder: str | Path, index: int, theta: np.ndarray, stage: str = "") -> Path:
    """Write one θ atomically (a temporary file, then a rename)."""
    path = theta_file(folder, index, stage)
    tmp = path.with_name(f".tmp_{path.name}")
    np.save(tmp, np.asarray(theta, dtype=np.float32))
    tmp.replace(path)
    return path


def load_theta(folder: str | Path, index: int) -> np.ndarray:
    """Image ``index``'s θ: a float array, finite and > 0 (data only: object arrays are never unpickled)."""
    path = theta_file(folder, index)
    if not path.is_file():
        raise AncerInputError(f"{folder}: no θ for image {index} ({path.name}); run `optimize` for these indices")
    fix = f"delete {path.name} and run `optimize` again for image {index}"
    try:
        theta = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise AncerInputError(f"{path} is not a θ file `optimize` wrote ({type(e).__name__}); {fix}") from None
    if not isinstance(theta, np.ndarray) or theta.dtype.kind != "f" or not (np.isfinite(theta) & (theta > 0)).all():
        raise AncerInputError(f"{path} does not hold a θ (finite floats > 0); {fix}")
    if theta.size and float(theta.max()) > float(np.finfo(np.float32).max):  # noise is drawn in float32
        raise AncerInputError(f"{path} holds θ up to {float(theta.max()):.3g}, beyond float32; {fix}")
    return theta


THETA_NAME = re.compile(r"theta_(\d+)\.npy")


def theta_indices(folder: str | Path) -> list[int]:
    """The test indices that have a θ in ``folder``, sorted (none when it is not a folder). Only names
    the tool writes count (``theta_00042.npy``): a stray copy such as ``theta_00042 (copy).npy`` is not θ."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = (THETA_NAME.fullmatch(f.name) for f in folder.glob("theta_*.npy"))
    return sorted(int(m.group(1)) for m in found if m)
