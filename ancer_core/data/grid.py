"""A results grid — one folder per model, one result file per method — and the paper's tables across σ.

The paper reports, per radius, the *top-1* certified accuracy across the σ grid (§7: "the top-1
certified accuracy plots, ACR and AC R̃ per radius across σ", as Salman et al., Zhai et al. and
Alfarra et al. do): for each method and radius, the best of the models trained with different σ.
Tables 1/2 are that envelope; Appendix F gives the per-σ tables; Tables 4/5 the superset shares.
The envelope is taken on the images every model of the grid certified, so that each σ is judged
on the same images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.settings import METHODS, describe_surrogate
from ..core.validation import AncerInputError
from .records import decided_radii, read_settings, result_path, shown_radii, table_mode_words
from .results import Table, read_results
from .tables import average_certified_radius, certified_accuracy, common_indices, restrict, superset_shares
from .thetas import THETA_FOLDER, load_theta, theta_indices


@dataclass
class GridModel:
    """One model's result files: ``tables[method]`` and the settings each was made with."""

    name: str
    norm: str
    sigma: float
    tables: dict[str, Table]
    meta: dict[str, dict]
    folder: Path
    reading: str = "as run"  # or "with memory" (memory_replay.grid_with_memory)

    @property
    def surrogate(self) -> str | None:
        """What its optimizers maximised (:func:`describe_surrogate` of ANCER's settings, else Isotropic
        DD's); None when it has neither."""
        optimized = [m for m in ("ancer", "isotropic-dd") if m in self.meta]
        return describe_surrogate(self.meta[optimized[0]].get("settings", {})) if optimized else None

    @property
    def theta_folder(self) -> Path:
        """Where ANCER's θ per image is kept (``theta_IDX.npy``)."""
        return self.folder / THETA_FOLDER


def load_grid(root: str | Path) -> dict[str, GridModel]:
    """Every ``root/<model>/`` that holds result files of at least one method, with its settings
    (``FILE.tsv.json``); models sorted by norm, then σ."""
    out = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        files = {m: result_path(folder, m) for m in METHODS if result_path(folder, m).is_file()}
        if not files:
            continue
        tables = {m: read_results(f) for m, f in files.items()}
        meta = {m: read_settings(f) for m, f in files.items()}
        first = next(iter(meta.values()))
        out.append(
            GridModel(folder.name, first.get("norm", "l2"), float(first.get("sigma", "nan")), tables, meta, folder)
        )
    out.sort(key=lambda g: (g.norm, g.sigma))
    return {g.name: g for g in out}


@dataclass(frozen=True)
class PaperTable:
    """Which of the paper's tables and figures a norm's models make."""

    norm: str
    table: str  # "Table 1" (ℓ2) or "Table 2" (ℓ1)
    figure: str  # "Figure 3" or "Figure 4"
    noise: str  # "Gaussian" or "uniform"


PAPER_TABLES = (PaperTable("l2", "Table 1", "Figure 3", "Gaussian"), PaperTable("l1", "Table 2", "Figure 4", "uniform"))


def models_by_table(grid: dict[str, GridModel]) -> list[tuple[PaperTable, list[GridModel]]]:
    """The grid's models split into the paper's Table 1 (ℓ2, Gaussian) and Table 2 (ℓ1, uniform),
    each in σ order; a table without models is left out."""
    out = []
    for t in PAPER_TABLES:
        models = [g for g in grid.values() if g.norm == t.norm]
        if models:
            out.append((t, models))
    return out


@dataclass
class Envelope:
    """Top-1 across σ for one method: certified accuracy per radius (and the σ that attains it),
    the largest ACR and AC R̃ over the σ grid, on ``images`` images common to the grid."""

    method: str
    radii: np.ndarray
    accuracy: np.ndarray
    best_sigma: list[float]
    acr: float
    acr_proxy: float
    images: int


def envelope(
    models: list[GridModel], method: str, radii, column: str = "radius", images: np.ndarray | None = None
) -> Envelope:
    """The paper's Table 1/2 row (and Figure 3/4 curve) of ``method`` across the models' σ, on the
    test images ``images`` (default: those every model certified with ``method``)."""
    models = [g for g in models if method in g.tables]
    if not models:
        raise AncerInputError(f"no model of the grid has results for {method}")
    idx = common_indices(g.tables[method] for g in models) if images is None else np.asarray(images, dtype=int)
    radii = np.asarray(radii, dtype=float)
    tabs = [restrict(g.tables[method], idx) for g in models]
    acc = (
        np.stack([certified_accuracy(t, radii, column) for t in tabs])
        if len(idx)
        else np.zeros((len(tabs), len(radii)))
    )
    best = acc.argmax(0)
    return Envelope(
        method,
        radii,
        acc.max(0),
        [models[b].sigma for b in best],
        max(average_certified_radius(t) for t in tabs) if len(idx) else 0.0,
        max(average_certified_radius(t, "radius_proxy") for t in tabs) if len(idx) else 0.0,
        len(idx),
    )


def envelopes(models: list[GridModel], radii, column: str = "radius") -> dict[str, Envelope]:
    """Table 1/2 (or Figure 3/4): the envelope of every method the models hold, all on the images
    every model certified with every method, so that the methods are compared on the same images."""
    methods = [m for m in METHODS if any(m in g.tables for g in models)]
    idx = common_indices(t for g in models for m, t in g.tables.items() if m in methods)
    return {m: envelope(models, m, radii, column, idx) for m in methods}


def envelope_table(models: list[GridModel], radii) -> str:
    """Table 1 (ℓ2) or Table 2 (ℓ1) as the paper lays it out: one row per method, top-1 certified
    accuracy (%) across σ at each radius, the best ACR and AC R̃ over σ (table mode: its radii only, no ACR)."""
    metas = [m for g in models for m in g.meta.values()]
    radii, acr = shown_radii(radii, metas)
    sigmas = ", ".join(f"{g.sigma:g}" for g in models)
    head = "method".ljust(14) + "".join(f"{r:>7g}" for r in radii) + ("     ACR    ACR~" if acr else "")
    lines = [f"top-1 across σ ∈ {{{sigmas}}}", head, "-" * len(head)]
    envs = list(envelopes(models, radii).values())
    for e in envs:
        best = f"{e.acr:8.3f}{e.acr_proxy:8.3f}" if acr else ""
        lines.append(e.method.ljust(14) + "".join(f"{100 * a:7.1f}" for a in e.accuracy) + best)
    lines.append(
        f"({envs[0].images} images certified by every model and method"
        + ("; ACR and ACR~: the best σ's)" if acr else ")")
    )
    words = table_mode_words(metas)
    return "\n".join(lines + ([words] if words else []))


def in_table_mode(model: GridModel) -> bool:
    """Whether any of the model's files is in table mode (:func:`.records.decided_radii`)."""
    return decided_radii(model.meta.values()) is not None


def superset_rows(models: list[GridModel]) -> list[dict]:
    """Tables 4/5, one row per model: % of its images where ANCER's ℓp radius, and its proxy radius,
    is the best of the three methods, and where its region contains every isotropic one (not for a model in
    table mode, whose radii are lower bounds: :func:`in_table_mode`)."""
    rows = []
    for g in models:
        if "ancer" not in g.tables or len(g.tables) < 2 or in_table_mode(g):  # radii there are lower bounds
            continue
        s = superset_shares(g.tables, "ancer")
        rows.append({"model": g.name, "sigma": g.sigma, **s})
    return rows


def load_thetas(model: GridModel) -> tuple[np.ndarray, np.ndarray]:
    """ANCER's θ of every certified image that has one: (indices, θ of shape (n, C, H, W))."""
    idx = theta_indices(model.theta_folder)
    if not idx:
        return np.zeros(0, dtype=int), np.zeros((0, 3, 32, 32), dtype=np.float32)
    return np.array(idx), np.stack([load_theta(model.theta_folder, i) for i in idx])


def class_mean_thetas(thetas: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict[str, np.ndarray]:
    """Mean over images (and channels) of θ per true class: {class name: H×W}, classes with images only."""
    return {classes[c]: thetas[labels == c].mean(axis=(0, 1)) for c in range(len(classes)) if (labels == c).any()}
