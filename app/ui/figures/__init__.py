"""Pure plot builders for the app: data in, plotly figure out (testable without Streamlit)."""

from . import palette
from .charts import (
    histogram_figure,
    line_figure,
    radius_axis,
    trace_figure,
    votes_figure,
)
from .frame import clear_of_toolbar, for_projector, for_slides
from .images import image_figure, image_strip_figure, perturbation_figure, rgb, theta_map_figure, theta_maps_figure
from .planes import (
    drawing_figure,
    landscape_figure,
    objective_plane_figure,
    region_slice_figure,
    toy_overlap_figure,
    toy_regions_figure,
)
from .playback import Frame, playback_figure

__all__ = [
    "image_figure",
    "rgb",
    "theta_maps_figure",
    "theta_map_figure",
    "perturbation_figure",
    "image_strip_figure",
    "trace_figure",
    "line_figure",
    "histogram_figure",
    "votes_figure",
    "for_projector",
    "region_slice_figure",
    "toy_regions_figure",
    "toy_overlap_figure",
    "objective_plane_figure",
    "drawing_figure",
    "landscape_figure",
    "palette",
    "clear_of_toolbar",
    "for_slides",
    "Frame",
    "playback_figure",
    "radius_axis",
]
