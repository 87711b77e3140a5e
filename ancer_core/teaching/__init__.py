"""Helpers for the teaching pages: seeded 2D toy data, randomized smoothing in 2D by quadrature
(exact optimal certificates, Figure 1), the geometry of certified regions for display (slices,
Figure 2's perturbations) and the input Hessian (Appendix A, Figure 7)."""
from . import smoothing2d
from .hessian import eigen_decomposition, input_hessian, plane_landscape
from .regions import boundary_scale, perturbation_outside, slice_boundary, slice_directions
from .toy_data import TOY_DATASETS, load_toy, write_toy_files

__all__ = ["smoothing2d", "eigen_decomposition", "input_hessian", "plane_landscape", "boundary_scale",
           "perturbation_outside", "slice_boundary", "slice_directions", "TOY_DATASETS", "load_toy",
           "write_toy_files"]
