"""Captions computed from what a figure shows: a sentence about a figure is derived from the figure's own
numbers, never written ahead of them (pure functions: numbers in, words out)."""

from __future__ import annotations

import numpy as np


def slice_reach(curves: dict, i: int, j: int) -> str:
    """What the panel's own slices show: how far ANCER's region reaches along each axis against Isotropic DD's."""
    if "ancer" not in curves or "isotropic-dd" not in curves:
        return ""
    reach = {m: (float(np.abs(c[0]).max()), float(np.abs(c[1]).max())) for m, c in curves.items()}
    ra, rb = (reach["ancer"][k] / max(reach["isotropic-dd"][k], 1e-12) for k in (0, 1))
    verdict = (
        "about the isotropic ball (within 10 %)"
        if max(abs(ra - 1), abs(rb - 1)) <= 0.1
        else f"{'larger' if min(ra, rb) >= 1 else 'different'} than the isotropic ball"
    )
    return f"In (ν{i}, ν{j}) ANCER's slice reaches ×{ra:.2f} along ν{i} and ×{rb:.2f} along ν{j}: {verdict}."
