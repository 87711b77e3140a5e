"""Results explorer (paper Figures 3–5, Tables 1, 2, 4, 5; Appendix F per σ) for the files written by `certify`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import streamlit as st
from ui import display, figures, resources

import ancer_core as ac
from ancer_core import AncerInputError
from ancer_core.data import (
    CLASSES,
    MIN_THETA,
    RESNET110,
    RESNET110_RADII,
    GridModel,
    accuracy_table,
    average_certified_radius,
    certified_accuracy,
    class_mean_thetas,
    envelopes,
    grid_with_memory,
    load_grid,
    load_thetas,
    lost_and_gained,
    models_by_table,
    read_results,
    superset_rows,
    superset_table,
    theta_ratios,
)

# the repository's result grid, or another one (ANCER_RESULTS: a folder with one sub-folder per model)
SHIPPED = Path(os.environ.get("ANCER_RESULTS") or Path(__file__).resolve().parents[2] / "results")
ACROSS = "across σ (the whole grid)"
UPLOAD = "upload files…"
TABLE_RADII = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
ORDER = {m: k for k, m in enumerate(ac.METHODS)}
READINGS = {
    "as run": "as run (each certificate on its own)",
    "with memory": "with memory-based certification (replayed over the files in certification order)",
}


def settings_line(meta: dict) -> str:
    n = meta.get("N")
    return (
        f"N0 = {meta.get('N0')}, N = {n:,}, α = {meta.get('alpha')}, " if isinstance(n, int) else ""
    ) + f"preset {meta.get('preset', '?')}, CERTIFY in {meta.get('precision', 'fp32')}"


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
    """The shipped grid and every grid kept inside it (``paper-objective/``: the paper's objective)."""
    if not root.is_dir():
        return []
    kept = [
        d
        for d in sorted(root.iterdir())
        if d.is_dir() and any(any(d.glob(str(ac.data.result_path("*", m)))) for m in ORDER)
    ]
    return [root, *kept]


def load_reading(root: Path, reading: str) -> dict[str, GridModel]:
    if reading == "as run":
        return load_grid(root)
    return with_memory(
        str(root), tuple(sorted((str(p), p.stat().st_mtime) for p in root.glob(str(ac.data.result_path("*", "*")))))
    )


def across_sigma(grid: dict[str, GridModel]) -> None:
    """Tables 1/2 and Figures 3/4 as the paper reports them: top-1 over the σ grid at each radius."""
    for paper, models in models_by_table(grid):
        norm, table, figure = paper.norm, paper.table, paper.figure
        noise = ac.noise_for(norm)
        unit = noise.norm_symbol
        sigmas = ", ".join(f"{g.sigma:g}" for g in models)
        st.subheader(f"{table} and {figure}: {noise.name} noise, top-1 across σ ∈ {{{sigmas}}}")
        envs = envelopes(models, TABLE_RADII)
        n_img = next(iter(envs.values())).images
        st.caption(
            f"For each method and radius, the best certified accuracy over the models trained with σ ∈ {{{sigmas}}}, "
            f"on the {n_img} test images every model certified with every method (the paper's 'top-1 across σ', §7); "
            "ACR and AC R̃: "
            f"the best σ's. {settings_line(next(iter(models[0].meta.values())))}{surrogates_line(models)}."
        )
        st.dataframe(
            [
                {
                    "method": m,
                    **{f"{unit} r={r:g} (%)": 100 * a for r, a in zip(TABLE_RADII, e.accuracy)},
                    "ACR": e.acr,
                    "AC R̃": e.acr_proxy,
                }
                for m, e in envs.items()
            ],
            hide_index=True,
            key=f"envelope_{norm}",
        )
        with st.expander("which σ attains each entry"):
            st.dataframe(
                [
                    {"method": m, **{f"r={r:g}": f"σ={s:g}" for r, s in zip(TABLE_RADII, e.best_sigma)}}
                    for m, e in envs.items()
                ],
                hide_index=True,
                key=f"best_sigma_{norm}",
            )
        rmax, beyond, largest = figures.radius_axis([t["radius_proxy"] for g in models for t in g.tables.values()])
        radii = np.linspace(0, rmax, 200)
        c1, c2 = st.columns(2)
        for where, column, xlabel, key in (
            (c1, "radius", f"{unit} radius (largest enclosed ball: min θ·gap)", "radius"),
            (c2, "radius_proxy", f"{unit} proxy radius R̃ = GM(θ)·gap", "proxy"),
        ):
            curves = {m: 100 * e.accuracy for m, e in envelopes(models, radii, column).items()}
            fig = figures.line_figure(radii, curves, xlabel, "top-1 certified accuracy across σ (%)")
            display.show(where=where, fig=fig, key=f"envelope_{norm}_{key}")
        st.caption(f"Top-1 certified accuracy across σ at each radius.{beyond_axis(beyond, largest)}")
    rows = superset_rows(list(grid.values()))
    if rows:
        st.subheader("Tables 4/5: is ANCER's certificate a superset?")
        st.dataframe(
            [
                {
                    "model": r["model"],
                    "σ": r["sigma"],
                    "% ANCER ℓp radius is the best": 100 * r["best_radius"],
                    "% ANCER proxy radius (ℓp^Θ) is the best": 100 * r["best_proxy"],
                    "% ANCER region ⊇ every isotropic region": 100 * r["superset"],
                    "images": r["images"],
                }
                for r in rows
            ],
            hide_index=True,
            key="supersets",
        )
        st.caption(
            "Per model, over its images: ANCER's radius (or proxy radius) at least that of fixed σ and Isotropic DD; "
            "the last column checks Definition 1 exactly (an isotropic ball lies in ANCER's region iff its radius ≤ "
            "min θ·gap, with the same class). The paper reports 83 % / 93 % for Cohen et al.'s CIFAR-10 models."
        )


def lost_and_gained_table(tables: dict, theta0: float | None) -> None:
    """Image by image against fixed σ: the images a data-dependent method loses at r = 0, the class it
    certifies them as instead (an attractor class shows as one class taking most of them), the images
    it gains, and how far its θ moved from the model's."""
    if "fixed" not in tables:
        return
    rows = []
    for m, t in tables.items():
        if m == "fixed":
            continue
        lg = lost_and_gained(tables["fixed"], t)
        went = ", ".join(f"{CLASSES[c] if c >= 0 else 'abstain'} {n}" for c, n in lg.destinations().most_common())
        row = {"method": m, "images": lg.images, "lost at r = 0": len(lg.lost), "certified instead as": went}
        row["gained at r = 0"] = len(lg.gained)
        if theta0:
            row["θ > 2 θ₀"] = int((theta_ratios(t, theta0) > 2).sum())
        rows.append(row)
    if rows:
        st.subheader("Against fixed σ, image by image")
        st.dataframe(rows, hide_index=True, key="lost_gained")
        st.caption(
            "Lost: certified correctly by fixed σ (r ≥ 0), not by this method; gained: the reverse. When one class "
            "takes most of the lost images, the optimizer grew θ into noise under which the network answers that "
            "class for any input (an attractor class; docs/results.md). θ > 2 θ₀: images whose smallest θ ended "
            "above twice the model's."
        )


def theta_browser(g: GridModel, labels: dict[int, int], iso: dict[int, float]) -> None:
    """ANCER's θ per certified image, and averaged per class."""
    idx, thetas = load_thetas(g)
    if not len(idx):
        return
    noise = ac.noise_for(g.norm)
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
        c1.plotly_chart(figures.image_figure(x[pick].numpy(), f"#{pick}: {CLASSES[labels.get(int(pick), 0)]}"))
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


def main() -> None:
    """The page: the grid across σ, one model's files, or uploaded files."""
    st.title("Results explorer (ANCER, Figures 3–5, Tables 1–2 and 4–5)")
    st.caption(
        "Certified accuracy of fixed σ, Isotropic DD and ANCER over a data set, from the TSV files that "
        "`python -m ancer_core certify` writes (columns idx label predict radius radius_proxy correct min_sigma "
        "time p_lower gap; settings in FILE.tsv.json)."
    )

    grid = {}
    reading = st.radio("reading", list(READINGS), format_func=READINGS.get, horizontal=True, key="reading")
    st.caption(
        "With θ chosen per image, two certificates of different classes can overlap; memory-based certification "
        "(Alfarra et al.; part of ANCER) revises each certificate against the earlier ones so that none do. The "
        "runs were made without it; the second reading replays it over their certificates and θ, without new "
        "sampling (fixed σ is one smoothed classifier: the memory revises none of its certificates)."
    )
    folders = grid_folders(SHIPPED)
    root = folders[0] if folders else SHIPPED
    if len(folders) > 1:
        root = st.radio(
            "grid",
            folders,
            format_func=lambda d: f"{d.relative_to(SHIPPED.parent)}/",
            horizontal=True,
            key="results_grid",
            help="results/ holds the grid made with the default surrogate; a folder inside it holds another "
            "(paper-objective/: the same images with the paper's objective, θ unbounded). Each caption says which.",
        )
    try:
        grid = load_reading(root, reading) if root.is_dir() else {}
    except AncerInputError as e:
        st.error(f"Could not read the shipped results: {e}")
    if not root.is_dir():
        st.info(
            "No results grid here: the shipped one is the results/ folder of the repository. Start the app with "
            "`ancer app --results PATH/TO/results`, or upload result files below."
        )
    source = st.radio(
        "results", ([ACROSS] if len(grid) > 1 else []) + list(grid) + [UPLOAD], horizontal=True, key="results_source"
    )
    if source == ACROSS:
        across_sigma(grid)
        st.stop()

    tables, metas = {}, {}
    if source == UPLOAD:
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
    else:
        tables, metas = dict(grid[source].tables), dict(grid[source].meta)
    empty = [k for k, t in tables.items() if len(t) == 0]
    if empty:
        st.warning(f"No rows yet in: {', '.join(empty)} (a run still in progress?); they are left out.")
    tables = {k: t for k, t in tables.items() if len(t)}
    tables = dict(sorted(tables.items(), key=lambda kv: ORDER.get(kv[0], 9)))
    if not tables:
        st.info("Choose a shipped set or upload files.")
        st.stop()

    meta = next(iter(metas.values()), {})
    if meta:
        st.markdown(
            f"Model `{meta.get('model')}`, norm {meta.get('norm')}, σ = {meta.get('sigma')}; {settings_line(meta)}"
            + (surrogates_line([grid[source]]) if source != UPLOAD else "")
            + ". "
            + "; ".join(f"{k}: images {m.get('indices')}, made by `{m.get('command')}`" for k, m in metas.items())
            + "."
        )
    noise = ac.noise_for(meta.get("norm", "l2"))
    unit = noise.norm_symbol
    rmax, beyond, largest = figures.radius_axis([t["radius_proxy"] for t in tables.values()])
    radii = np.linspace(0, rmax, 200)
    published = {}
    if noise.norm == "l2" and meta.get("sigma") is not None:
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
            {k: 100 * certified_accuracy(t, radii) for k, t in tables.items()},
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
            {k: 100 * certified_accuracy(t, radii, "radius_proxy") for k, t in tables.items()},
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

    st.subheader("Tables 1/2 for this σ: certified accuracy, ACR and AC R̃")
    rows = []
    for k, t in tables.items():
        acc = certified_accuracy(t, TABLE_RADII)
        rows.append(
            {
                "method": k,
                "images": len(t),
                **{f"@{r:g}": 100 * a for r, a in zip(TABLE_RADII, acc)},
                "ACR": average_certified_radius(t),
                "AC R̃": average_certified_radius(t, "radius_proxy"),
            }
        )
    st.dataframe(rows, hide_index=True, key="acc_table")
    with st.expander("as `python -m ancer_core analyze` prints it"):
        st.code(accuracy_table(tables, TABLE_RADII))
        if "ancer" in tables and len(tables) > 1:
            st.code(superset_table(tables, "ancer"))

    lost_and_gained_table(tables, meta.get("theta0"))

    st.subheader("Figure 5: σ-factor and gap")
    h1, h2 = st.columns(2)
    base = meta.get("theta0")
    if base:
        display.show(
            where=h1,
            fig=figures.histogram_figure(
                {k: t[MIN_THETA] / base for k, t in tables.items() if k != "fixed"},
                f"min θ / θ₀ (θ₀ = {base:g}, the model's σ)",
            ),
            key="theta_factor",
        )
    display.show(
        where=h2,
        fig=figures.histogram_figure(
            {k: t["gap"] for k, t in tables.items()}, "certified gap (Φ⁻¹(p̲A) for ℓ2, 2(p̲A − ½) for ℓ1)"
        ),
        key="gaps",
    )

    if source in grid and "ancer" in tables:
        labels = {int(i): int(c) for i, c in zip(tables["ancer"]["idx"], tables["ancer"]["label"])}
        iso_t = tables.get("isotropic-dd")
        iso = {int(i): float(s) for i, s in zip(iso_t["idx"], iso_t[MIN_THETA])} if iso_t is not None else {}
        theta_browser(grid[source], labels, iso)


main()
