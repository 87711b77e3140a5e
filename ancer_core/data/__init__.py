"""Data and files: CIFAR-10 (the test split ships inside the package) and the result files of
``certify`` with the paper's tables."""

from .cifar10 import CLASSES, load_cifar10, load_cifar10_arrays, parse_indices
from .grid import Envelope, GridModel, envelope, envelope_table, load_grid, superset_rows
from .images import PreparedImage, bundled_photos, prepare_image
from .results import (
    COLUMNS,
    ResultWriter,
    Table,
    accuracy_table,
    average_certified_radius,
    certified_accuracy,
    export_results,
    format_row,
    read_results,
    superset_shares,
    superset_table,
)

__all__ = [
    "CLASSES",
    "load_cifar10",
    "load_cifar10_arrays",
    "parse_indices",
    "COLUMNS",
    "ResultWriter",
    "Table",
    "accuracy_table",
    "average_certified_radius",
    "certified_accuracy",
    "export_results",
    "format_row",
    "read_results",
    "superset_shares",
    "superset_table",
    "Envelope",
    "GridModel",
    "envelope",
    "envelope_table",
    "load_grid",
    "superset_rows",
    "PreparedImage",
    "bundled_photos",
    "prepare_image",
]
