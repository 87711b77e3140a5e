"""Reading a results folder image by image: where the data-dependent certificates differ from fixed σ.

* :func:`lost_and_gained` — the images fixed σ certifies correctly at r = 0 and a data-dependent
  method does not (lost), the reverse (gained), and the class each lost image was certified as
  instead: the fingerprint of an *attractor class*, a class the network answers under heavy noise
  whatever the image (docs/results.md).
* :func:`theta_ratios` — each image's θ relative to the model's (the optimizers start there).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..core.surrogate import DEFAULT_THETA_MAX_RATIO
from .cifar10 import CLASSES
from .results import MIN_THETA_COLUMN, Table
from .tables import common_indices, restrict


@dataclass
class LostAndGained:
    """At r = 0, on the images both files certified: ``lost`` / ``gained`` test indices, and for each
    lost image the class the other method certified instead (−1: abstained)."""

    images: int
    lost: np.ndarray
    gained: np.ndarray
    lost_to: np.ndarray

    def destinations(self) -> Counter:
        """How many lost images went to each class (or abstained, −1)."""
        return Counter(self.lost_to.tolist())


def lost_and_gained(fixed: Table, other: Table) -> LostAndGained:
    """Images certified correctly (r ≥ 0, i.e. not abstaining) by fixed σ and not by ``other``, and back."""
    idx = common_indices([fixed, other])
    f, o = restrict(fixed, idx), restrict(other, idx)
    ok_f, ok_o = f["correct"].astype(bool), o["correct"].astype(bool)
    lost = ~ok_o & ok_f
    return LostAndGained(len(idx), idx[lost], idx[ok_o & ~ok_f], o["predict"][lost])


def theta_ratios(table: Table, theta0: float) -> np.ndarray:
    """min θ of each row over the model's θ₀ (Isotropic DD: its θ; ANCER: its smallest θᵢ)."""
    return table[MIN_THETA_COLUMN] / float(theta0)


def lost_and_gained_rows(
    tables: dict[str, Table], theta0: float | None, bound: float = DEFAULT_THETA_MAX_RATIO
) -> list:
    """Against fixed σ, one row per other method (:func:`lost_and_gained`): images lost and gained at
    r = 0, the classes the lost ones were certified as instead (an attractor class shows as one class
    taking most), and with ``theta0`` the images whose smallest θ ended above ``bound`` × θ₀."""
    if "fixed" not in tables:
        return []
    rows = []
    for m, t in tables.items():
        if m == "fixed":
            continue
        lg = lost_and_gained(tables["fixed"], t)
        went = ", ".join(f"{CLASSES[c] if c >= 0 else 'abstain'} {n}" for c, n in lg.destinations().most_common())
        row = {"method": m, "images": lg.images, "lost at r = 0": len(lg.lost), "certified instead as": went}
        row["gained at r = 0"] = len(lg.gained)
        if theta0:
            row[f"θ > {bound:g} θ₀"] = int((theta_ratios(t, theta0) > bound).sum())
        rows.append(row)
    return rows
