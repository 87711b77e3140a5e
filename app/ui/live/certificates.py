"""The live page's numbers: the certificates table, the comparison of two runs, the export and the
optimization trace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ancer_core.core.certificate import Certificate
from ancer_core.core.settings import METHOD_LABELS, METHODS, Settings, describe_surrogate
from ancer_core.core.stats import samples_to_certify
from ancer_core.data import CLASSES
from ancer_core.data.records import run_record
from ancer_core.data.results import export_results
from ancer_core.models.cards import shipped_models
from ancer_core.models.speed import hardware

from .. import display, figures, resources
from ..session import Run, runs

_FORMATS = {
    "p̲A": "{:.4f}",
    "gap": "{:.4f}",
    "proxy radius": "{:.4f}",
    "log-volume ratio to isotropic DD": "{:.1f}",
    "time (s)": "{:.2f}",
}


RUNNING = "running…"


def certificate_rows(results: dict, settings: Settings, unit: str, methods=METHODS) -> list[dict]:
    """One row per method of ``methods``; a method not in ``results`` yet (the run is still working on it)
    is a row that says so. The comparisons with Isotropic DD wait for its certificate."""
    iso = results["isotropic-dd"].certificates[0] if "isotropic-dd" in results else None
    rows = []
    for m in methods:
        if m not in results:
            rows.append({"method": METHOD_LABELS[m], "prediction": RUNNING})
            continue
        r = results[m]
        c = r.certificates[0]
        itself = m == "isotropic-dd"
        rows.append(
            {
                "method": METHOD_LABELS[m],
                "prediction": "abstain" if c.abstained else CLASSES[c.prediction],
                "p̲A": c.p_lower,
                "gap": c.gap if not c.abstained else None,
                f"{unit} radius": c.radius,
                "proxy radius": c.proxy_radius if not c.abstained else 0.0,  # an abstain certifies nothing
                "log-volume ratio to isotropic DD": c.log_volume - iso.log_volume
                if iso is not None and np.isfinite(c.log_volume) and np.isfinite(iso.log_volume)
                else None,
                "⊇ isotropic DD?": _contains_iso(c, iso, itself),
                "samples": f"{c.extra.get('samples', c.n):,} of {settings.n:,}",
                "stopped": STOP_WORDS.get(c.extra.get("stop", "fixed"), "?"),
                "time (s)": r.seconds,
            }
        )
    return rows


def _contains_iso(c, iso, itself: bool) -> str | None:
    """Does the region contain Isotropic DD's (Definition 1)? None while Isotropic DD has not certified yet."""
    if itself:
        return "— (itself)"
    if iso is None:
        return None
    return "yes" if c.is_superset_of(iso) else "no"


def rows_table(where, rows: list[dict], unit: str) -> None:
    """The certificates as a static table: three rows need no data grid, and the grid's canvas is what a
    2-core laptop draws last; "—" where a number means nothing (an abstain has no region), never "nan"."""
    table = pd.DataFrame(rows).set_index("method")
    where.table(table.style.format(_FORMATS | {f"{unit} radius": "{:.4f}"}, na_rep="—"))


def certificates_table(res: Run) -> None:
    results, s = res.results, res.settings
    unit = res.noise.norm_symbol
    rows = certificate_rows(results, s, unit, methods=list(results))
    st.subheader("Certificates")
    st.caption(
        f"N0 = {s.n0}, N = {s.n:,}, α = {s.alpha}; model `{res.model}`; initial σ = {res.sigma:g}; CERTIFY "
        f"sampled the {res.precision} network"
        + ("" if res.precision == "fp32" else " (the certificates are about that network)")
        + f". The optimizers ({res.optimizer_precision}) maximised {describe_surrogate(res.settings)}; "
        "CERTIFY counts the network's hard votes either way. "
        "Each certificate holds with probability ≥ 1 − α."
    )
    rows_table(st, rows, unit)
    st.caption(
        f"**p̲A**: one-sided Clopper–Pearson lower bound on the top class's probability under noise. **gap**: "
        f"{'Φ⁻¹(p̲A)' if res.noise.p == 2 else '2(p̲A − ½)'} (Corollaries 1, 2). **{unit} radius**: the largest "
        f"{unit} ball inside the region, min θ · gap (pixel units, images in [0, 1]). **proxy radius**: gap · "
        "geometric mean of θ, the n-th root of the region's volume up to a constant (§5). **log-volume ratio**: "
        "ln(volume / Isotropic DD's volume) in 3,072 dimensions. **⊇ isotropic DD?**: does the region contain "
        "Isotropic DD's (Definition 1, exact test)? **samples**: estimation samples CERTIFY drew of its N. "
        "**stopped**: why it drew no more (sequential sampling stops early; fixed always draws N). **time**: "
        "optimization + CERTIFY; ANCER's excludes the Isotropic DD stage it starts from."
    )
    trained = shipped_models().get(res.model, {}).get("sigma")
    lines = [w for m, r in results.items() if (w := abstain_words(m, r.certificates[0], s.alpha, res.sigma, trained))]
    gap_formula = "Φ⁻¹(p̲A)" if res.noise.p == 2 else "2(p̲A − ½)"
    if lines:
        st.info(
            "**Why it abstains.** A certificate needs p̲A > ½, a lower bound on the top class's share of the noise "
            f"that holds with probability ≥ 1 − α (α = {s.alpha:g}): then that class wins the noise for certain, "
            f"and the gap {gap_formula} says how far the win lasts.\n\n" + "\n".join(f"- {w}" for w in lines),
            icon="🤷",
        )


# the table's "stopped" column (core.sequential.STOP_REASONS in a few words)
STOP_WORDS = {
    "fixed": "fixed N",
    "N": "drew all N",
    "abstain": "early: abstain",
    "tolerance": "early: radius within tolerance",
    "radii": "early: radii decided",
}


def abstain_words(
    method: str, c: Certificate, alpha: float, sigma: float | None = None, trained: float | None = None
) -> str | None:
    """Why ``method``'s certificate abstains, in one line for a student: the top class's share of the noisy
    votes, its lower bound against ½, and about how many samples that share would need to certify at α.
    ``sigma``: the run's σ; ``trained``: the σ the model was trained with (None: not known), so that the
    advice never suggests the model the student already has."""
    if not c.abstained or "n_a" not in c.extra or not c.n:
        return None
    n, n_a = int(c.extra.get("samples", c.n)), int(c.extra["n_a"])
    counts0 = c.extra.get("counts0") or []
    p_hat, name = n_a / n, CLASSES[int(np.argmax(counts0))] if counts0 else "the top class"
    head = (
        f"**{METHOD_LABELS.get(method, method)}**: {n_a:,} of {n:,} noisy copies were called *{name}* (the "
        f"class the first {sum(counts0):,} "
        f"copies chose): p̂A = {p_hat:.3f}, p̲A = {c.p_lower:.3f} ≤ ½."
    )
    if p_hat <= 0.5:
        if trained is not None and sigma is not None and abs(trained - sigma) <= 1e-9:
            advice = f"this model was trained at this σ = {sigma:g}: a smaller σ, with a model trained for it, may help"
        elif trained is not None and sigma is not None:
            advice = f"this model was trained at σ = {trained:g}, not {sigma:g}: its own σ, or a smaller one, may help"
        else:
            advice = "a smaller σ, or a model trained at this σ, may help"
        return head + (
            " At this rate no number of samples would certify: the top class is not a majority of the noise. "
            f"The noise is too strong for this image; {advice}."
        )
    need = float(samples_to_certify(p_hat, alpha))
    if np.isfinite(need):
        return head + (
            f" If p̂A held, about {need:,.0f} samples would certify at this α ({need / n:,.1f}× the {n:,} drawn), "
            "with a small radius: the top class only just wins the noise."
        )
    return head + " p̂A is so close to ½ that no practical number of samples would certify it."


def export(res: Run) -> None:
    idx, norm = res.idx, res.norm
    st.subheader("Export")
    dev = str(resources.device())
    meta = run_record(
        command="ancer app: the live page",
        model_name=res.model,
        model=resources.model(res.model, dev),
        norm=norm,
        sigma=res.sigma,
        theta0=res.theta0,
        settings=res.settings,
        preset=res.preset,
        seed=res.seed,
        precision=res.precision,
        optimizer_precision=res.optimizer_precision,
        device=resources.device_label(),
        hardware=hardware(dev),
        certify_model=resources.certifying(res.model, res.precision, res.optimizer_precision).network,
        image_index=idx,
        image=res.image,
        label=res.label,
        theta_meaning=res.noise.theta_meaning,
    )
    js, npz = export_results(res.results, meta)
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
            "prediction": "abstain" if c.abstained else CLASSES[c.prediction],
            "p̲A": c.p_lower,
            f"{r.noise.norm_symbol} radius": c.radius,
            "proxy radius": c.proxy_radius,
        }
        for t, r in ((a, ra), (b, rb))
        for m, c in ((m, x.certificates[0]) for m, x in r.results.items())
    ]
    display.data_table(pd.DataFrame(rows), key="cmp_table")
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
