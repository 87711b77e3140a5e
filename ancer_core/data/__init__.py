"""Data and files: CIFAR-10 (the test split ships inside the package) and the result files of
``certify`` with the paper's tables."""

from .cifar10 import CLASSES, load_cifar10, load_cifar10_arrays, parse_indices
from .diagnosis import LostAndGained, lost_and_gained, theta_ratios
from .grid import (
    Envelope,
    GridModel,
    class_mean_thetas,
    envelope,
    envelope_table,
    load_grid,
    load_thetas,
    models_by_table,
    superset_rows,
)
from .images import PreparedImage, bundled_photos, prepare_image
from .memory_replay import grid_with_memory, replay_memory, revised_rows, theta_source
from .published import RESNET110, RESNET110_RADII
from .results import (
    COLUMNS,
    MIN_THETA,
    ResultWriter,
    Table,
    accuracy_table,
    average_certified_radius,
    certified,
    certified_accuracy,
    export_results,
    format_row,
    read_results,
    read_settings,
    settings_path,
    superset_shares,
    superset_table,
)
from .thetas import load_theta, save_theta, theta_file, theta_indices

__all__ = [
    "CLASSES",
    "load_cifar10",
    "load_cifar10_arrays",
    "parse_indices",
    "COLUMNS",
    "MIN_THETA",
    "ResultWriter",
    "Table",
    "accuracy_table",
    "average_certified_radius",
    "certified",
    "certified_accuracy",
    "export_results",
    "format_row",
    "read_results",
    "read_settings",
    "settings_path",
    "superset_shares",
    "superset_table",
    "Envelope",
    "GridModel",
    "envelope",
    "envelope_table",
    "load_grid",
    "superset_rows",
    "class_mean_thetas",
    "load_thetas",
    "models_by_table",
    "grid_with_memory",
    "RESNET110",
    "RESNET110_RADII",
    "PreparedImage",
    "bundled_photos",
    "prepare_image",
    "LostAndGained",
    "lost_and_gained",
    "theta_ratios",
    "replay_memory",
    "revised_rows",
    "theta_source",
    "load_theta",
    "save_theta",
    "theta_file",
    "theta_indices",
]
