"""The live page's numbers: the certificates table, the comparison of two runs, the export and the
optimization trace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import ancer_core as ac

from .. import display, figures, resources
from ..session import Run, runs


def certificates_table(res: Run) -> None:
    results, s = res.results, res.settings
    iso_cert = results["isotropic-dd"].certificates[0]
    unit = res.noise.norm_symbol
    rows = []
    for m, r in results.items():
        c = r.certificates[0]
        rows.append(
            {
                "method": m,
                "prediction": "abstain" if c.abstained else ac.CLASSES[c.prediction],
                "p̲A": c.p_lower,
                "gap": c.gap,
                f"{unit} radius": c.radius,
                "proxy radius": c.proxy_radius,
                "log-volume ratio to isotropic DD": c.log_volume - iso_cert.log_volume
                if np.isfinite(c.log_volume) and np.isfinite(iso_cert.log_volume)
                else float("nan"),
                "⊇ isotropic DD?": c.is_superset_of(iso_cert),
                "time (s)": r.seconds,
            }
        )
    st.subheader("Certificates")
    st.caption(
        f"N0 = {s.n0}, N = {s.n:,}, α = {s.alpha}; model `{res.model}`; initial σ = {res.sigma:g}; CERTIFY "
        f"sampled the {res.precision} network"
        + ("" if res.precision == "fp32" else " (the certificates are about that network)")
        + f". The optimizers ({res.optimizer_precision}) maximised {ac.describe_surrogate(res.settings)}; "
        "CERTIFY counts the network's hard votes either way. "
        "Each certificate holds with probability ≥ 1 − α."
    )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="certificates",
        column_config={
            "p̲A": st.column_config.NumberColumn(
                help="one-sided Clopper–Pearson lower bound on the top class's probability under noise", format="%.4f"
            ),
            "gap": st.column_config.NumberColumn(
                help="Φ⁻¹(p̲A) for ℓ2, 2(p̲A − ½) for ℓ1 (Corollaries 1, 2)", format="%.4f"
            ),
            f"{unit} radius": st.column_config.NumberColumn(
                help=f"radius of the largest {unit} ball inside the region: min θ · gap (pixel units, images in [0,1])",
                format="%.4f",
            ),
            "proxy radius": st.column_config.NumberColumn(
                help="gap · geometric mean of θ: the n-th root of the region's volume up to a constant (§5)",
                format="%.4f",
            ),
            "log-volume ratio to isotropic DD": st.column_config.NumberColumn(
                help="ln(volume / volume of Isotropic DD's region); 3,072 dimensions, so large numbers", format="%.1f"
            ),
            "⊇ isotropic DD?": st.column_config.CheckboxColumn(
                help="Definition 1: does the region contain Isotropic DD's region? (exact test)"
            ),
            "time (s)": st.column_config.NumberColumn(
                help="optimization + certification wall time; ANCER's excludes the Isotropic DD stage it starts from",
                format="%.2f",
            ),
        },
    )


def export(res: Run) -> None:
    idx, norm = res.idx, res.norm
    st.subheader("Export")
    meta = {
        "image_index": idx,
        "image": res.image,
        "label": res.label,
        "model": res.model,
        "precision": res.precision,
        "optimizer_precision": res.optimizer_precision,
        "norm": norm,
        "initial_sigma": res.sigma,
        "theta0": res.theta0,
        "settings": res.settings.as_dict(),
        "seed": res.seed,
        "device": resources.device_label(),
        "ancer_core": ac.__version__,
        "theta_meaning": res.noise.theta_meaning,
    }
    js, npz = ac.export_results(res.results, meta)
    e1, e2 = st.columns(2)
    e1.download_button("certificates + settings (JSON)", js, f"ancer_{idx}_{norm}.json", "application/json")
    e2.download_button("θ per method (NumPy .npz)", npz, f"ancer_{idx}_{norm}_theta.npz", "application/octet-stream")


def optimization_trace(res: Run) -> None:
    traces = {k: v for r in res.results.values() for k, v in r.traces.items()}
    if traces:
        st.subheader("Optimization trace")
        display.show(figures.trace_figure(traces), key="trace_final")


def compare_runs(current: Run) -> None:
    """Two of this tab's runs side by side: their certificates and ANCER's θ on one colour scale."""
    history = runs()
    if len(history) < 2:
        return
    st.subheader("Compare runs")
    titles = [f"{k + 1}. {r.title}" for k, r in enumerate(history)]
    c1, c2 = st.columns(2)
    a = c1.selectbox("run", titles, index=len(titles) - 2, key="cmp_a")
    b = c2.selectbox("with run", titles, index=len(titles) - 1, key="cmp_b")
    ra, rb = history[titles.index(a)], history[titles.index(b)]
    rows = [
        {
            "run": t.split(".")[0],
            "method": m,
            "prediction": "abstain" if c.abstained else ac.CLASSES[c.prediction],
            "p̲A": c.p_lower,
            f"{r.noise.norm_symbol} radius": c.radius,
            "proxy radius": c.proxy_radius,
        }
        for t, r in ((a, ra), (b, rb))
        for m, c in ((m, x.certificates[0]) for m, x in r.results.items())
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="cmp_table")
    label = ra.noise.theta_symbol if ra.norm == rb.norm else "θ"
    maps = {
        f"{t.split('.')[0]}. ANCER, {r.image}": r.results["ancer"].theta[0].mean(0).cpu().numpy()
        for t, r in ((a, ra), (b, rb))
    }
    display.show(figures.theta_maps_figure(maps, label, height=320), "cmp_maps")
    st.caption(
        "ANCER's θ averaged over the colour channels, both maps on one colour scale"
        + ("" if ra.norm == rb.norm else " (different noises: σ and λ are not the same quantity)")
        + "."
    )
