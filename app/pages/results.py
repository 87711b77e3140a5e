"""Results explorer (paper Figures 3–5, Tables 1, 2, 4, 5) for the files written by `certify`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st
from ui import display, figures

import ancer_core as ac
from ancer_core import AncerInputError
from ancer_core.data import accuracy_table, average_certified_radius, certified_accuracy, read_results, superset_table

SHIPPED = Path(__file__).resolve().parents[2] / "results"  # the repository's result grid

st.title("Results explorer (ANCER, Figures 3–5, Tables 1–2 and 4–5)")
st.caption(
    "Certified accuracy of fixed σ, Isotropic DD and ANCER over a data set, from the TSV files that "
    "`python -m ancer_core certify` writes (columns idx label predict radius radius_proxy correct min_sigma "
    "time p_lower gap; settings in FILE.tsv.json)."
)

sets = sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()) if SHIPPED.is_dir() else []
source = st.radio("results", sets + ["upload files…"], horizontal=True, key="results_source")
tables, metas = {}, {}
try:
    if source == "upload files…":
        ups = st.file_uploader("certify output files (.tsv), one per method", type=["tsv"], accept_multiple_files=True)
        for up in ups or []:
            tables[Path(up.name).stem] = read_results(up)
    else:
        for f in sorted((SHIPPED / source).glob("*.tsv")):
            tables[f.stem] = read_results(f)
            meta = f.with_name(f.name + ".json")
            metas[f.stem] = json.loads(meta.read_text()) if meta.is_file() else {}
except AncerInputError as e:
    st.error(f"Could not read the file: {e}")
empty = [k for k, t in tables.items() if len(t) == 0]
if empty:
    st.warning(f"No rows yet in: {', '.join(empty)} (a run still in progress?); they are left out.")
tables = {k: t for k, t in tables.items() if len(t)}
order = {"fixed": 0, "isotropic-dd": 1, "ancer": 2}
tables = dict(sorted(tables.items(), key=lambda kv: order.get(kv[0], 9)))
if not tables:
    st.info("Choose a shipped set or upload files.")
    st.stop()

if metas:
    m = next(iter(metas.values()))
    st.markdown(
        f"Model `{m.get('model')}`, norm {m.get('norm')}, σ = {m.get('sigma')}, N0 = {m.get('N0')}, "
        f"N = {m.get('N'):,}, α = {m.get('alpha')}, images {m.get('indices')}; made by `{m.get('command')}`."
    )
noise = ac.noise_for(next(iter(metas.values())).get("norm", "l2") if metas else "l2")
unit = noise.norm_symbol
rmax = max(float(t["radius_proxy"].max()) for t in tables.values()) * 1.05 + 1e-9
radii = np.linspace(0, rmax, 200)
c1, c2 = st.columns(2)
display.show(
    where=c1,
    fig=figures.line_figure(
        radii,
        {k: 100 * certified_accuracy(t, radii) for k, t in tables.items()},
        f"{unit} radius (largest enclosed ball: min θ·gap)",
        "certified accuracy (%)",
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
    "Figures 3/4 of the paper: share of images that are classified correctly and certified at least at that "
    "radius (left) or proxy radius (right)."
)

st.subheader("Tables 1/2: certified accuracy, ACR and AC R̃")
rows = []
for k, t in tables.items():
    acc = certified_accuracy(t, [0.0, 0.25, 0.5, 0.75, 1.0])
    rows.append(
        {
            "method": k,
            "images": len(t),
            **{f"@{r:g}": 100 * a for r, a in zip([0, 0.25, 0.5, 0.75, 1.0], acc)},
            "ACR": average_certified_radius(t),
            "AC R̃": average_certified_radius(t, "radius_proxy"),
        }
    )
st.dataframe(rows, hide_index=True, key="acc_table")
with st.expander("as `python -m ancer_core analyze` prints it"):
    st.code(accuracy_table(tables, [0.0, 0.25, 0.5, 0.75, 1.0]))
    if "ancer" in tables and len(tables) > 1:
        st.code(superset_table(tables, "ancer"))

st.subheader("Figure 5: σ-factor and gap")
h1, h2 = st.columns(2)
base = metas.get("fixed", {}).get("theta0") or (next(iter(metas.values())).get("theta0") if metas else None)
if base:
    display.show(
        where=h1,
        fig=figures.histogram_figure(
            {k: t["min_sigma"] / base for k, t in tables.items() if k != "fixed"},
            f"min θ / θ₀ (θ₀ = {base:g}, the model's σ)",
        ),
        key="sigma_factor",
    )
display.show(
    where=h2,
    fig=figures.histogram_figure(
        {k: t["gap"] for k, t in tables.items()}, "certified gap (Φ⁻¹(p̲A) for ℓ2, 2(p̲A − ½) for ℓ1)"
    ),
    key="gaps",
)
