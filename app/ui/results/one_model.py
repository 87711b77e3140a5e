"""The results page for one model's files (Appendix F): the curves, the tables, image by image against
fixed σ, Figure 5 and ANCER's θ maps."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.core.noise import noise_for
from ancer_core.core.settings import METHOD_LABELS
from ancer_core.core.surrogate import DEFAULT_THETA_MAX_RATIO
from ancer_core.data import (
    CLASSES,
    MIN_THETA_COLUMN,
    RESNET110,
    RESNET110_RADII,
    GridModel,
    Table,
    accuracy_rows,
    accuracy_table,
    certified_accuracy,
    class_mean_thetas,
    load_thetas,
    lost_and_gained_rows,
    read_results,
    samples_rows,
    samples_table,
    superset_table,
)
from ancer_core.data.records import shown_radii, table_mode_words

from .. import display, figures, resources
from .grid import ORDER, TABLE_RADII, beyond_axis, named, settings_line, surrogates_line


def uploaded_tables() -> dict[str, Table]:
    """Result files a user uploads, one per method; two of one name are both kept (the second renamed)."""
    tables: dict[str, Table] = {}
    ups = st.file_uploader("certify output files (.tsv), one per method", type=["tsv"], accept_multiple_files=True)
    for up in ups or []:
        try:
            table = read_results(up)
        except AncerInputError as e:
            st.error(f"Could not read {up.name}: {e}")
            continue
        key = Path(up.name).stem
        if key in tables:  # two files of one name: both kept, the second renamed so that neither hides
            n = 2
            while f"{key} ({n})" in tables:
                n += 1
            st.warning(f"Two uploads are named {up.name}: the second is shown as “{key} ({n})”.")
            key = f"{key} ({n})"
        tables[key] = table
    return tables


def with_rows(tables: dict[str, Table]) -> dict[str, Table]:
    """The tables that have rows, in the methods' order; says which were left out."""
    empty = [k for k, t in tables.items() if len(t) == 0]
    if empty:
        st.warning(f"No rows yet in: {', '.join(empty)} (a run still in progress?); they are left out.")
    return dict(sorted(((k, t) for k, t in tables.items() if len(t)), key=lambda kv: ORDER.get(kv[0], 9)))


def header(metas: dict[str, dict], model: GridModel | None) -> None:
    """One line: the model, its noise and σ, the settings, what the optimizers maximised, what made each file."""
    meta = next(iter(metas.values()), {})
    if meta:
        st.markdown(
            f"Model `{meta.get('model')}`, norm {meta.get('norm')}, σ = {meta.get('sigma')}; {settings_line(meta)}"
            + (surrogates_line([model]) if model is not None else "")
            + ". "
            + "; ".join(f"{k}: images {m.get('indices')}, made by `{m.get('command')}`" for k, m in metas.items())
            + "."
        )


def curves(tables: dict[str, Table], meta: dict, metas: Iterable[dict] = ()) -> None:
    """Figures 3/4 for this σ: certified accuracy against radius and proxy radius, with the published
    ResNet-110 fixed-σ figures beside them where they exist (table mode: at the radii it decided only)."""
    unit = noise_for(meta.get("norm", "l2")).norm_symbol
    decided, acr = shown_radii(TABLE_RADII, metas)
    if not acr:
        fig = figures.line_figure(
            np.array(decided),
            named({k: 100 * certified_accuracy(t, decided) for k, t in tables.items()}),
            f"{unit} radius (largest enclosed ball: min θ·gap), at the radii table mode decided",
            "certified accuracy (%)",
            mode="lines+markers",
        )
        display.show(where=st.columns(2)[0], fig=fig, key="acc_radius")
        st.caption(
            "Figures 3/4 of the paper for this σ at the radii table mode decided (the markers; the lines only join "
            "them): share of images classified correctly and certified at least at that radius. No proxy-radius "
            "figure: table mode decides radii only."
        )
        return
    rmax, beyond, largest = figures.radius_axis([t["radius_proxy"] for t in tables.values()])
    radii = np.linspace(0, rmax, 200)
    published = {}
    if meta.get("norm", "l2") == "l2" and meta.get("sigma") is not None:
        published = {
            name: (np.array(RESNET110_RADII), 100 * np.array(points[float(meta["sigma"])]))
            for name, points in RESNET110.items()
            if float(meta["sigma"]) in points
        }
    c1, c2 = st.columns(2)
    display.show(
        where=c1,
        fig=figures.line_figure(
            radii,
            named({k: 100 * certified_accuracy(t, radii) for k, t in tables.items()}),
            f"{unit} radius (largest enclosed ball: min θ·gap)",
            "certified accuracy (%)",
            markers=published,
        ),
        key="acc_radius",
    )
    display.show(
        where=c2,
        fig=figures.line_figure(
            radii,
            named({k: 100 * certified_accuracy(t, radii, "radius_proxy") for k, t in tables.items()}),
            f"{unit} proxy radius R̃ = GM(θ)·gap",
            "certified accuracy (%)",
        ),
        key="acc_proxy",
    )
    st.caption(
        "Figures 3/4 of the paper for this σ (Appendix F): share of images that are classified correctly and certified "
        "at least at that radius (left) or proxy radius (right)."
        + (
            " Symbols: published fixed-σ figures of ResNet-110 models (≈ 5× our models' compute) trained with the "
            "same σ, "
            "on the 500 images 0:10000:20 at N = 100,000 — a reference for the fixed-σ curve, not the same images or N."
            if published
            else ""
        )
        + beyond_axis(beyond, largest)
    )


def accuracy_tables(tables: dict[str, Table], meta: dict, metas: Iterable[dict] = ()) -> None:
    """Tables 1/2 for this σ, the samples sequential files drew, and the same as ``analyze`` prints them
    (table mode: at the radii it decided, without ACR)."""
    radii, acr = shown_radii(TABLE_RADII, metas)
    st.subheader("Tables 1/2 for this σ: certified accuracy" + (", ACR and AC R̃" if acr else ""))
    display.data_table(accuracy_rows(named(tables), radii, acr), key="acc_table")
    if not acr:
        st.caption(table_mode_words(metas))
    spent = samples_rows(named(tables), meta.get("N"))
    if spent:
        n, alpha = meta.get("N"), meta.get("alpha")
        st.caption(
            "Estimation samples drawn per image by the sequential files (CERTIFY stopped each image as soon as "
            "its answer was known, with the guarantee of fixed sampling: each certificate wrong with probability "
            f"≤ α{'' if alpha is None else f' = {alpha:g}'}); fixed sampling draws N"
            f"{'' if n is None else f' = {n:,}'} for every image."
        )
        display.data_table([_rounded(r) for r in spent], key="samples_table")
    with st.expander("as `python -m ancer_core analyze` prints it"):
        st.code(accuracy_table(tables, radii, acr))
        if spent:
            st.code(samples_table(tables))
        if "ancer" in tables and len(tables) > 1 and acr:  # table mode leaves the radii compared as lower bounds
            st.code(superset_table(tables, "ancer"))


def _rounded(row: dict) -> dict:
    return {
        k: (f"{v:,.0f}" if k in ("mean", "median") else f"×{v:.1f}" if k.startswith("×") else v) for k, v in row.items()
    }


def lost_and_gained_table(tables: dict[str, Table], theta0: float | None) -> None:
    """Image by image against fixed σ (:func:`ancer_core.data.lost_and_gained_rows`)."""
    rows = [r | {"method": METHOD_LABELS.get(r["method"], r["method"])} for r in lost_and_gained_rows(tables, theta0)]
    if rows:
        bound = f"{DEFAULT_THETA_MAX_RATIO:g}"
        st.subheader("Against fixed σ, image by image")
        display.data_table(rows, key="lost_gained")
        st.caption(
            "Lost: certified correctly by fixed σ (r ≥ 0), not by this method; gained: the reverse. When one class "
            "takes most of the lost images, the optimizer grew θ into noise under which the network answers that "
            f"class for any input (an attractor class; docs/results.md). θ > {bound} θ₀: images whose smallest θ "
            f"ended above {bound} × the model's (the anchored objective's bound)."
        )


def figure5(tables: dict[str, Table], theta0: float | None, metas: Iterable[dict] = ()) -> None:
    """Figure 5: histograms of the σ-factor (min θ / θ₀) and of the certified gap."""
    st.subheader("Figure 5: σ-factor and gap")
    if not shown_radii(TABLE_RADII, metas)[1]:
        st.caption(
            "Table mode: each gap is the one where the image stopped drawing (its table decided), a lower bound "
            "on the gap fixed sampling at N would give; min θ is the optimizers' and does not depend on it."
        )
    h1, h2 = st.columns(2)
    if theta0:
        display.show(
            where=h1,
            fig=figures.histogram_figure(
                named({k: t[MIN_THETA_COLUMN] / theta0 for k, t in tables.items() if k != "fixed"}),
                f"min θ / θ₀ (θ₀ = {theta0:g}, the model's σ)",
            ),
            key="theta_factor",
        )
    display.show(
        where=h2,
        fig=figures.histogram_figure(
            named({k: t["gap"] for k, t in tables.items()}), "certified gap (Φ⁻¹(p̲A) for ℓ2, 2(p̲A − ½) for ℓ1)"
        ),
        key="gaps",
    )


def theta_maps(model: GridModel, tables: dict[str, Table]) -> None:
    """ANCER's θ maps of a grid model, labelled with the true classes and Isotropic DD's θ."""
    if "ancer" not in tables:
        return
    labels = {int(i): int(c) for i, c in zip(tables["ancer"]["idx"], tables["ancer"]["label"])}
    iso_t = tables.get("isotropic-dd")
    iso = {int(i): float(s) for i, s in zip(iso_t["idx"], iso_t[MIN_THETA_COLUMN])} if iso_t is not None else {}
    theta_browser(model, labels, iso)


def theta_browser(g: GridModel, labels: dict[int, int], iso: dict[int, float]) -> None:
    """ANCER's θ per certified image, and averaged per class."""
    idx, thetas = load_thetas(g)
    if not len(idx):
        return
    noise = noise_for(g.norm)
    sym = noise.theta_symbol
    st.subheader(f"ANCER's θ maps over the {len(idx)} certified images")
    st.caption(
        f"θ is {noise.theta_meaning}, per pixel and channel, as ANCER chose it for each image (started from that "
        f"image's Isotropic DD {sym}); the model was trained with σ = {g.sigma:g}."
    )
    mode = st.radio("show", ["one image", "mean per class"], horizontal=True, key="theta_mode")
    x, _ = resources.test_split()
    if mode == "one image":
        pick = st.select_slider(
            "test image",
            options=list(idx),
            format_func=lambda i: f"#{i} ({CLASSES[labels.get(int(i), 0)]})",
            key="theta_image",
        )
        k = int(np.searchsorted(idx, pick))
        c1, c2 = st.columns([1, 3])
        display.show(
            figures.image_figure(x[pick].numpy(), f"#{pick}: {CLASSES[labels.get(int(pick), 0)]}"),
            "theta_image_fig",
            c1,
        )
        display.show(
            where=c2,
            fig=figures.theta_map_figure(thetas[k], iso.get(int(pick), float("nan")), sym),
            key="theta_one",
        )
        row = {int(i): j for j, i in enumerate(g.tables["ancer"]["idx"])}.get(int(pick))
        if row is not None:
            t = g.tables["ancer"]
            verdict = "correct" if t["correct"][row] else ("abstained" if t["predict"][row] < 0 else "wrong class")
            st.caption(
                f"ANCER's certificate: {verdict}; {noise.norm_symbol} radius {t['radius'][row]:.3f}, proxy radius "
                f"{t['radius_proxy'][row]:.3f}, p̲A = {t['p_lower'][row]:.4f}."
            )
    else:
        lab = np.array([labels.get(int(i), -1) for i in idx])
        maps = class_mean_thetas(thetas, lab, CLASSES)
        counts = {CLASSES[c]: int((lab == c).sum()) for c in range(len(CLASSES))}
        maps = {f"{k} ({counts[k]})": v for k, v in maps.items()}
        display.show(figures.theta_maps_figure(maps, f"mean {sym}", cols=5, height=220), "theta_classes")
        st.caption("Mean over the images of each true class (count in brackets) and over the three channels.")
