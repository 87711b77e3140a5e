"""θ folders: one NumPy file per image, ``theta_IDX.npy`` (IDX: the test index, five digits).

Written by ``optimize --out`` (with ``theta_iso_IDX.npy``: ANCER's Isotropic DD start) and by the
results grid (``<model>/ancer-thetas``); read by ``certify --thetas``, the memory replay, the θ-map
browser. Each file is written under a temporary name and renamed, so a folder never holds half a θ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.validation import AncerInputError


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
    path = theta_file(folder, index)
    if not path.is_file():
        raise AncerInputError(f"{folder}: no θ for image {index} ({path.name}); run `optimize` for these indices")
    return np.load(path)


def theta_indices(folder: str | Path) -> list[int]:
    """The test indices that have a θ in ``folder``, sorted (none when it is not a folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(int(f.stem.split("_")[1]) for f in folder.glob("theta_[0-9]*.npy"))
