"""Data and files: CIFAR-10 (the test split ships inside the package) and the result files of
``certify`` with the paper's tables."""

from .cifar10 import CLASSES, load_cifar10, load_cifar10_arrays, parse_indices
from .diagnosis import LostAndGained, lost_and_gained, lost_and_gained_rows, theta_ratios
from .grid import (
    Envelope,
    GridModel,
    class_mean_thetas,
    envelope,
    envelope_table,
    envelopes,
    load_grid,
    load_thetas,
    models_by_table,
    superset_rows,
)
from .images import PreparedImage, bundled_photos, prepare_image
from .memory_replay import grid_with_memory, replay_memory, revised_rows, theta_source
from .published import RESNET110, RESNET110_RADII
from .records import preset_label, read_settings, result_path, run_record, settings_path
from .results import COLUMNS, MIN_THETA_COLUMN, ResultWriter, Table, export_results, format_row, read_results, sort_rows
from .store import ResultStore, decode_results, default_store_path, encode_results, store_key
from .tables import (
    accuracy_rows,
    accuracy_table,
    average_certified_radius,
    certified,
    certified_accuracy,
    samples_rows,
    samples_table,
    superset_shares,
    superset_table,
)
from .thetas import THETA_FOLDER, load_theta, save_theta, theta_file, theta_indices

__all__ = [
    "ResultStore",
    "decode_results",
    "default_store_path",
    "encode_results",
    "store_key",
    "CLASSES",
    "load_cifar10",
    "load_cifar10_arrays",
    "parse_indices",
    "COLUMNS",
    "MIN_THETA_COLUMN",
    "ResultWriter",
    "Table",
    "accuracy_rows",
    "accuracy_table",
    "average_certified_radius",
    "certified",
    "certified_accuracy",
    "export_results",
    "format_row",
    "read_results",
    "read_settings",
    "result_path",
    "run_record",
    "preset_label",
    "settings_path",
    "sort_rows",
    "superset_shares",
    "samples_rows",
    "samples_table",
    "superset_table",
    "Envelope",
    "GridModel",
    "envelope",
    "envelope_table",
    "envelopes",
    "load_grid",
    "superset_rows",
    "THETA_FOLDER",
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
    "lost_and_gained_rows",
    "theta_ratios",
    "replay_memory",
    "revised_rows",
    "theta_source",
    "load_theta",
    "save_theta",
    "theta_file",
    "theta_indices",
]
