"""Helpers for the teaching pages: seeded 2D toy data, randomized smoothing in 2D by quadrature
(exact optimal certificates, Figure 1), the geometry of certified regions for display (slices,
Figure 2's perturbations) and the input Hessian (Appendix A, Figure 7)."""

from . import input_dependent, toy_views
from .attack import AttackResult, Verdict, attack_smoothed, runner_up, verdict
from .attractors import AttractorProfile, attractor_profile
from .bound import BoundReport, bound_report, bound_sentence, heavy_noise_answer
from .hessian import eigen_decomposition, input_hessian, plane_landscape
from .live import PLAYBACK_SNAPSHOTS, LiveRun, default_precision
from .regions import boundary_scale, perturbation_outside, slice_boundary, slice_directions
from .smoothed_views import noisy_copies
from .smoothing2d import (
    FEASIBILITY_RTOL,
    P_CAP,
    ToyMLP,
    base_landscape,
    certificate_2d,
    class_probability,
    contains_ball,
    objective_plane,
    optimal_certificates,
    region_outline,
    rotation_matrix,
    rotation_search,
    smoothed_landscape,
    train_toy,
)
from .toy_data import (
    MAX_TOY_POINTS,
    TOY_DATASETS,
    TOY_LIMIT,
    check_toy,
    decode_points,
    encode_points,
    load_toy,
    parse_toy_csv,
    toy_csv,
    write_toy_files,
)

__all__ = [
    "input_dependent",
    "toy_views",
    "PLAYBACK_SNAPSHOTS",
    "LiveRun",
    "default_precision",
    "AttractorProfile",
    "attractor_profile",
    "BoundReport",
    "bound_report",
    "bound_sentence",
    "heavy_noise_answer",
    "eigen_decomposition",
    "input_hessian",
    "plane_landscape",
    "boundary_scale",
    "perturbation_outside",
    "slice_boundary",
    "slice_directions",
    "FEASIBILITY_RTOL",
    "contains_ball",
    "rotation_search",
    "P_CAP",
    "ToyMLP",
    "base_landscape",
    "certificate_2d",
    "class_probability",
    "objective_plane",
    "optimal_certificates",
    "region_outline",
    "rotation_matrix",
    "smoothed_landscape",
    "train_toy",
    "TOY_DATASETS",
    "TOY_LIMIT",
    "MAX_TOY_POINTS",
    "check_toy",
    "decode_points",
    "encode_points",
    "parse_toy_csv",
    "toy_csv",
    "load_toy",
    "write_toy_files",
    "AttackResult",
    "Verdict",
    "attack_smoothed",
    "runner_up",
    "verdict",
    "noisy_copies",
]
