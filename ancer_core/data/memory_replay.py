"""Memory-based certification replayed over finished result files (no sampling).

The paper's abstract names memory-based certification as part of ANCER: with θ chosen per input,
two certificates of different classes may overlap, and the memory (:mod:`ancer_core.core.memory`)
revises each new certificate against every earlier one so that none do. A run made without it
(``certify`` without ``--memory``) holds everything the memory needs — each image's class, p̲A, N,
α and θ, in certification order — so its memory reading is computed here from the file, θ and the
images alone, exactly as ``certify --memory`` would have revised the same certificates.

θ of a row: the fixed θ of the run (``fixed``), the row's ``min_sigma`` (Isotropic DD: one θ per
image), or ANCER's θ file of that image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.certificate import Certificate
from ..core.memory import CertificationMemory
from ..core.validation import AncerInputError
from .grid import GridModel
from .results import MIN_THETA_COLUMN, Table
from .thetas import load_theta


def theta_source(method: str, meta: dict, table: Table, folder: str | Path | None) -> Callable[[int], np.ndarray]:
    """θ of each row's image (by test index) for a result file of ``method`` made with ``meta``."""
    if method == "fixed":
        theta0 = float(meta["theta0"])
        return lambda i: np.float64(theta0)
    if method == "isotropic-dd":
        by_index = dict(zip(table["idx"].tolist(), table[MIN_THETA_COLUMN].tolist()))
        return lambda i: np.float64(by_index[i])
    if folder is None or not Path(folder).is_dir():
        raise AncerInputError(f"replaying memory over {method} needs its θ folder (theta_IDX.npy per image)")
    return lambda i: load_theta(folder, i)


def replay_memory(table: Table, meta: dict, images: np.ndarray, theta_of: Callable[[int], np.ndarray]) -> Table:
    """The rows of ``table`` (a run made without memory) as ``certify --memory`` would have written
    them: each certificate, in file order, admitted to a :class:`CertificationMemory`.

    ``images``: the data set the indices refer to (N, C, H, W); ``theta_of(i)``: θ of image i. The
    returned table has the same columns, with ``predict``, ``radius``, ``radius_proxy``, ``correct``,
    ``min_sigma``, ``p_lower``, ``gap`` revised, and ``theta_of`` added (whose θ each region has)."""
    if meta.get("memory"):
        raise AncerInputError("this result file was already made with memory-based certification")
    norm, n, alpha = meta.get("norm", "l2"), int(meta.get("N", 0)), float(meta.get("alpha", "nan"))
    dim = int(np.prod(images.shape[1:]))
    memory = CertificationMemory(norm, dim)
    cols = {k: v.copy() for k, v in table.columns.items()}
    cols["theta_of"] = cols["idx"].copy()
    for r, (i, pred, p_lower) in enumerate(zip(table["idx"].tolist(), table["predict"], table["p_lower"])):
        theta = np.asarray(theta_of(i), dtype=np.float64)
        cert = Certificate(norm, theta, int(pred), float(p_lower), dim, n, alpha)
        out = memory.admit(images[i], cert, key=i)
        if pred < 0 or out.gap_cap == math.inf:  # abstained, or kept as it was
            continue
        cols["predict"][r] = out.prediction
        cols["correct"][r] = int(out.prediction == table["label"][r])
        cols["radius"][r], cols["radius_proxy"][r] = out.radius, out.proxy_radius
        cols[MIN_THETA_COLUMN][r], cols["p_lower"][r], cols["gap"][r] = out.min_theta, out.p_lower, out.gap
        cols["theta_of"][r] = out.extra["theta_of"]
    return Table(cols)


def revised_rows(before: Table, after: Table) -> np.ndarray:
    """Rows whose certificate the memory changed (class or region)."""
    return (before["predict"] != after["predict"]) | ~np.isclose(before["radius"], after["radius"], rtol=1e-9)


def grid_with_memory(model: GridModel, images: np.ndarray) -> GridModel:
    """``model``'s result files read with memory-based certification (:func:`replay_memory`), each in
    its own certification order; files made with ``--memory`` are kept as they are."""
    tables = {}
    for method, table in model.tables.items():
        meta = model.meta[method]
        if meta.get("memory"):
            tables[method] = table
            continue
        folder = model.theta_folder if method == "ancer" else None
        tables[method] = replay_memory(table, meta, images, theta_source(method, meta, table, folder))
    return replace(model, tables=tables, reading="with memory")
