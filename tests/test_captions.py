"""Captions computed from what the figure beside them shows (app/ui/captions.py), against the numbers."""

import numpy as np

from ancer_app.ui.captions import slice_reach

PHI = np.linspace(0, 2 * np.pi, 181)


def ellipse(a: float, b: float):
    return a * np.cos(PHI), b * np.sin(PHI)


def test_the_hessian_caption_says_what_the_slices_show():
    iso = ellipse(0.3, 0.3)
    longer = slice_reach({"isotropic-dd": iso, "ancer": ellipse(0.9, 0.31)}, 1, 2)
    assert "×3.00 along ν1" in longer and "×1.03 along ν2" in longer and "larger than the isotropic ball" in longer
    same = slice_reach({"isotropic-dd": iso, "ancer": ellipse(0.31, 0.3)}, 1, 3072)
    assert "about the isotropic ball (within 10 %)" in same and "(ν1, ν3072)" in same
    assert slice_reach({"isotropic-dd": iso}, 1, 2) == ""  # nothing to compare: no sentence


def test_the_queue_never_counts_zero_seconds_to_go():
    from ancer_app.ui.jobs import QueueState
    from ancer_app.ui.live.run import _queue_words

    fields = dict(position=2, ahead=1, sharing=False, waited_s=30.0)
    assert "about 20 s to go" in _queue_words(QueueState(wait_s=20.0, **fields))
    late = _queue_words(QueueState(wait_s=0.0, **fields))
    assert "to go" not in late and "taking longer" in late
