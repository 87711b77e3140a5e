"""Prepared lectures: the views of a class in a small JSON file, and their runs computed ahead of time into
the result store (``ancer lecture prepare FILE``), so that the app shows each step without waiting.

A layer of its own, above the models and the teaching helpers it combines, below the command line."""

from .lecture import (
    PAGES,
    Lecture,
    Step,
    find_lecture,
    lecture_folders,
    live_params,
    live_run,
    prepare,
    prepare_toy_steps,
    read_lecture,
    toy_view,
)

__all__ = [
    "PAGES",
    "Lecture",
    "Step",
    "find_lecture",
    "lecture_folders",
    "live_params",
    "live_run",
    "prepare",
    "prepare_toy_steps",
    "read_lecture",
    "toy_view",
]
