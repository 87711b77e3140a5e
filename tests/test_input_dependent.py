"""A per-input θ on the toy plane (teaching/input_dependent.py): contradicting certificates exist and are
real, memory removes them, and the certified selector never makes them. Exact p (quadrature): the only
tolerance is the quadrature's, and every check keeps well clear of it."""

import numpy as np
import pytest

from ancer_core import teaching as T
from ancer_core.core.noise import noise_for
from ancer_core.teaching import input_dependent as ID

SPAN = np.linspace(-2.8, 2.8, 61)  # the toy page's plane, every other point (the selector's table)


@pytest.fixture(scope="module")
def radial():
    """The toy page's default: the radial set, training noise 0.1, 64 hidden units, 40 of its points."""
    X, y = T.load_toy("radial")
    model = T.train_toy(X, y, hidden=64, noise_sigma=0.1, seed=0)
    return model, X[:: len(X) // 40]


def test_the_default_set_has_overlapping_certificates_whose_classifiers_disagree(radial):
    model, pts = radial
    r = ID.data_dependent_regions(model, pts, "l2")
    found = ID.conflicts(r)
    assert found, "the page's default must show the catch"
    c = found[0]
    i, j, z = c["i"], c["j"], c["point"]
    assert r.cls[i] != r.cls[j]
    assert ID.depth(r, i, z) > 0.1 and ID.depth(r, j, z) > 0.1  # z lies well inside both
    d = ID.disagreement(model, r, i, j, z)
    # each region is right about its own smoothed classifier at z, so the two disagree there ...
    assert d["p_i"] > 0.5 + 1e-3 and d["p_j"] > 0.5 + 1e-3 and d["answer_i"] != d["answer_j"]
    # ... and the data-dependent classifier, one answer at z, makes one of them wrong
    assert d["h"] in (0, 1) and len(d["wrong"]) == 1


def test_search_ends_counts_the_certified_points_whose_theta_is_an_end_of_the_grid(radial):
    model, pts = radial
    for aniso in (False, True):
        r = ID.data_dependent_regions(model, pts, "l2", anisotropic=aniso)
        ends = ID.search_ends(r)
        grid = ID.ANISO_SIGMAS if aniso else ID.SIGMAS
        assert (ends["lo"], ends["hi"], ends["values"]) == (grid[0], grid[-1], len(grid))
        # brute force: the same counts by comparing each chosen θ with every grid value's index
        idx = np.abs(r.theta[..., None] - grid).argmin(-1)
        ok = r.gap > 0
        assert ends["at_hi"] == int((ok & (idx == len(grid) - 1).any(1)).sum())
        assert ends["at_lo"] == int((ok & (idx == 0).any(1)).sum())
    # a region forced to the top of the grid is counted; an abstain never is
    r.theta[0] = ID.ANISO_SIGMAS[-1]
    r.gap[0], r.gap[1] = 1.0, 0.0
    r.theta[1] = ID.ANISO_SIGMAS[-1]
    base = ID.search_ends(r)["at_hi"]
    r.theta[0] = ID.ANISO_SIGMAS[3]
    assert ID.search_ends(r)["at_hi"] == base - 1


@pytest.mark.slow
def test_each_points_theta_is_the_best_radius_found_by_the_plane_search(radial):
    model, pts = radial
    r = ID.data_dependent_regions(model, pts[:3], "l2", k=64)
    for i, x in enumerate(pts[:3]):
        plane = T.objective_plane(model, x, "l2", ID.SIGMAS, k=64)
        assert r.radius[i] == pytest.approx(T.optimal_certificates(plane)["isotropic"]["radius"], rel=1e-3)


def test_anisotropic_regions_contain_the_isotropic_ones_and_overlap_too(radial):
    model, pts = radial
    iso = ID.data_dependent_regions(model, pts, "l1")
    an = ID.data_dependent_regions(model, pts, "l1", anisotropic=True)
    assert (an.theta >= iso.theta - 1e-12).all()  # ANCER's feasible set: θᵢ ≥ the isotropic θ
    assert (np.sqrt(an.theta.prod(1)) * an.gap >= np.sqrt(iso.theta.prod(1)) * iso.gap - 1e-12).all()
    assert ID.conflicts(an)


def test_memory_leaves_no_two_issued_regions_of_different_classes_overlapping(radial):
    model, pts = radial
    r = ID.data_dependent_regions(model, pts, "l2")
    steps = ID.memory_steps(r, range(len(r)))
    issued = ID.Regions(
        r.norm,
        r.centres,
        np.stack([s["theta"] for s in steps]),
        np.array([s["gap"] for s in steps]),
        r.p,
        np.array([s["class"] for s in steps]),
    )
    assert ID.conflicts(r) and not ID.conflicts(issued, min_depth=0.0)
    assert sum(s["what"] != "kept" for s in steps) > 0
    assert steps[0]["what"] == "kept"  # the first certificate is never revised


@pytest.mark.slow
@pytest.mark.parametrize("norm,levels,tau", [("l2", (0.1, 0.2, 0.4, 0.8), 0.2), ("l1", (0.15, 0.3, 0.6, 1.2), 0.3)])
def test_the_certified_selector_never_contradicts_itself(radial, norm, levels, tau):
    """On a grid of points over the plane: no two regions of different classes meet (regions of one
    norm: two balls meet iff the distance of their centres is below the sum of their radii)."""
    model, _ = radial
    g = np.linspace(-2.4, 2.4, 13)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    selector = ID.LevelSelector(model, norm, levels, SPAN)
    s = ID.certified_selector(model, grid, selector, tau)
    assert (s.gap > 0).mean() > 0.5 and (s.r_sigma > 0).any()
    dist = noise_for(norm).region_norm(s.centres[:, None] - s.centres[None])
    reach = s.radius[:, None] + s.radius[None]
    other = (s.cls[:, None] != s.cls[None]) & (s.gap[:, None] > 0) & (s.gap[None] > 0)
    assert not (other & (dist < reach * (1 - 1e-6))).any()
    # the data-dependent regions over the same points do contradict each other
    assert ID.conflicts(ID.data_dependent_regions(model, grid, norm))


@pytest.mark.slow
def test_inside_a_selector_region_the_combined_classifier_answers_its_class(radial):
    """Random points inside regions: the smoothed selector keeps the level, the classifier at that level
    keeps the class."""
    model, _ = radial
    selector = ID.LevelSelector(model, "l2", (0.1, 0.2, 0.4, 0.8), SPAN)
    g = np.linspace(-2.0, 2.0, 5)
    gx, gy = np.meshgrid(g, g)
    centres = np.stack([gx.ravel(), gy.ravel()], 1)
    s = ID.certified_selector(model, centres, selector, 0.2)
    rng = np.random.default_rng(0)
    live = np.flatnonzero(s.radius > 0)
    angle = rng.uniform(0, 2 * np.pi, len(live))
    inside = s.centres[live] + (0.95 * s.radius[live] * rng.uniform(0, 1, len(live)))[:, None] * np.stack(
        [np.cos(angle), np.sin(angle)], 1
    )
    there = ID.certified_selector(model, inside, selector, 0.2)
    assert (there.level == s.level[live]).all() and (there.cls == s.cls[live]).all()


def test_fixed_theta_certificates_never_contradict_each_other(radial):
    """One smoothed classifier, one answer at every point: overlapping regions always name the same class."""
    model, pts = radial
    for norm in ("l2", "l1"):
        fixed = ID.fixed_regions(model, pts, norm, 0.4)
        assert (fixed.gap > 0).mean() > 0.5 and not ID.conflicts(fixed, min_depth=0.0)
