"""The results page's grids: where they are (the shipped one, those kept inside it), how each is read
(as run, or with memory-based certification replayed), and the words a caption says about them."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.core.settings import METHOD_LABELS, METHODS
from ancer_core.data import GridModel, grid_with_memory, load_grid, revised_rows
from ancer_core.data.records import preset_words, result_path, sampling_words

from .. import resources


def shipped_root() -> Path:
    """The repository's result grid, or another one (``ANCER_RESULTS``: a folder with one sub-folder per
    model), read when the page runs so that a server started with another grid shows it."""
    return Path(os.environ.get("ANCER_RESULTS") or Path(__file__).resolve().parents[3] / "results")


ACROSS = "across σ (the whole grid)"
UPLOAD = "upload files…"
TABLE_RADII = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
ORDER = {m: k for k, m in enumerate(METHODS)}


def named(by_method: dict) -> dict:
    """The same entries keyed by each method's display name ('Isotropic DD'), as a reader sees them; ids stay
    in files and in what ``analyze`` prints."""
    return {METHOD_LABELS.get(k, k): v for k, v in by_method.items()}


READINGS = {
    "as run": "as run (each certificate on its own)",
    "with memory": "with memory-based certification (replayed over the files in certification order)",
}


def settings_line(meta: dict) -> str:
    n = meta.get("N")
    return (
        f"N0 = {meta.get('N0')}, {sampling_words(meta)}, α = {meta.get('alpha')}, " if isinstance(n, int) else ""
    ) + f"{preset_words(meta)}, CERTIFY in {meta.get('precision', 'fp32')}"


def surrogates_line(models: list[GridModel]) -> str:
    """What the models' optimizers maximised, for a caption ('' when none optimizes)."""
    said = sorted({g.surrogate for g in models if g.surrogate})
    if len(said) > 1:
        return "; the models' optimizers differ: " + "; ".join(said)
    return f"; the optimizers maximised {said[0]}" if said else ""


def beyond_axis(beyond: int, largest: float) -> str:
    """What a radius axis leaves out (:func:`ui.figures.radius_axis`), for the caption."""
    if not beyond:
        return ""
    return (
        f" The radius axis ends where 99 % of the positive radii do: {beyond} lie beyond it "
        f"(the largest {largest:.3g})."
    )


@st.cache_resource(show_spinner="replaying memory-based certification over the files…", max_entries=4)
def with_memory(root: str, stamp: tuple) -> dict[str, GridModel]:
    """The grid in ``root`` read with memory-based certification (``stamp``: its files' times, so that
    a grid still being written is read again)."""
    images = resources.test_split()[0].numpy()
    return {n: grid_with_memory(g, images) for n, g in load_grid(root).items()}


def grid_folders(root: Path) -> list[Path]:
    """The shipped grid and every grid kept inside it (``paper-objective/``: the paper's objective;
    ``table-mode-paper/``: the paper's protocol in table mode)."""
    if not root.is_dir():
        return []
    kept = [
        d for d in sorted(root.iterdir()) if d.is_dir() and any(any(d.glob(str(result_path("*", m)))) for m in ORDER)
    ]
    return [root, *kept]


def load_reading(root: Path, reading: str) -> dict[str, GridModel]:
    if reading == "as run":
        return load_grid(root)
    return with_memory(
        str(root), tuple(sorted((str(p), p.stat().st_mtime) for p in root.glob(str(result_path("*", "*")))))
    )


def choose_grid() -> dict[str, GridModel]:
    """The reading (as run or with memory) and the grid (the shipped one or one kept inside it), read."""
    reading = st.radio("reading", list(READINGS), format_func=READINGS.get, horizontal=True, key="reading")
    st.caption(
        "With θ chosen per image, two certificates of different classes can overlap; memory-based certification "
        "(Alfarra et al.; part of ANCER) revises each certificate against the earlier ones so that none do. The "
        "runs were made without it; the second reading replays it over their certificates and θ, without new "
        "sampling (fixed σ is one smoothed classifier: the memory revises none of its certificates)."
    )
    shipped = shipped_root()
    folders = grid_folders(shipped)
    root = folders[0] if folders else shipped
    if len(folders) > 1:
        root = st.radio(
            "grid",
            folders,
            format_func=lambda d: f"{d.relative_to(shipped.parent)}/",
            horizontal=True,
            key="results_grid",
            help="results/ holds the grid made with the default surrogate; a folder inside it holds another "
            "(paper-objective/: the same images with the paper's objective, θ unbounded; table-mode-paper/: two "
            "models at the paper's N = 100,000 in table mode). Each caption says which.",
        )
    if not root.is_dir():
        st.info(
            "No results grid here: the shipped one is the results/ folder of the repository. Start the app with "
            "`ancer app --results PATH/TO/results`, or upload result files below."
        )
        return {}
    try:
        grid = load_reading(root, reading)
    except AncerInputError as e:
        st.error(f"Could not read the shipped results: {e}")
        return {}
    if reading != "as run":
        st.caption(memory_revisions(load_grid(root), grid))
    return grid


def memory_revisions(as_run: dict[str, GridModel], with_memory: dict[str, GridModel]) -> str:
    """How many certificates the memory changed (class or radius), per method over the grid's models: said
    plainly, so that tables identical to the first reading are explained, not puzzling."""
    changed: dict[str, list[int]] = {}
    for name, g in with_memory.items():
        for method, table in g.tables.items():
            before = as_run[name].tables[method]
            n = changed.setdefault(method, [0, 0])
            n[0] += int(revised_rows(before, table).sum())
            n[1] += len(table)
    total = sum(v[0] for v in changed.values())
    per = "; ".join(f"{METHOD_LABELS.get(m, m)} {a:,} of {b:,}" for m, (a, b) in changed.items())
    head = f"Memory-based certification revised **{total:,}** certificates ({per})."
    if total == 0:
        return head + " Every table below is the same as in the first reading: on these images no two regions met."
    return head + " The tables below differ from the first reading only in those rows."


def choose_source(grid: dict[str, GridModel]) -> str:
    """The whole grid across σ, one of its models, or uploaded files."""
    options = ([ACROSS] if len(grid) > 1 else []) + list(grid) + [UPLOAD]
    return st.radio("results", options, horizontal=True, key="results_source")
