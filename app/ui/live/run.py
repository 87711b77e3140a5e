"""The live page's run: the estimate of its work before, and the three methods with live progress."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

import ancer_core as ac
from ancer_core import AncerInputError

from .. import figures, resources
from ..session import Run, set_last_run
from .choices import Choice
from .images import Image

PLAYBACK_SNAPSHOTS = 50  # snapshots of each optimizer kept for the playback (ui.live.playback)
CHART_EVERY_S, BAR_EVERY_S = 1.0, 0.25  # live trace chart / progress bar redraw intervals during a run


def show_estimate(where, settings: ac.Settings, model_name: str, precision: str) -> None:
    """Before Run: the work the run is and a rough duration from this device's measured speed."""
    work = ac.work_estimate(settings)
    lock = resources.job_lock()
    if not lock.acquire(blocking=False):  # never time the device while another session's job runs on it
        return
    try:
        rate = dict(resources.throughput(model_name, str(resources.device())))
        if precision != "fp32":
            rate["forward"] = resources.precision_speeds(model_name, str(resources.device()))[precision]
        eta = work["forward"] / rate["forward"] + work["gradient"] / rate["gradient"]
        where.caption(
            f"This run: {work['forward']:,} noisy images through the network without gradients (the three "
            f"CERTIFY calls in {precision}"
            + (", the scalar Isotropic DD solver's grid" if settings.iso_solver == "scalar" else "")
            + f") and {work['gradient']:,} forward + backward passes for the optimizers — about "
            f"**{resources.duration(eta)}** of computation on this device (a rough estimate from its measured "
            f"speed: {rate['forward']:,.0f} and {rate['gradient']:,.0f} images/s)."
        )
    except AncerInputError:
        pass  # a checkpoint that does not load: the run reports it
    finally:
        lock.release()


def run_methods(where, c: Choice, image: Image) -> None:
    """Run the three methods on ``image`` with live progress; store the results in the session."""
    x = image.x
    st.session_state["running"] = True
    try:
        model = resources.model(c.model_name, str(resources.device()))
        theta0 = ac.smoothing_theta(c.norm, c.sigma)
        status = where.status("running…", expanded=True)
        bar = status.progress(0.0)
        chart = status.empty()
        traces: dict = {}
        t_start = time.time()
        shown = {"chart": 0.0, "bar": 0.0}  # last redraws: throttled, because on a 2-core machine the browser's
        # redrawing competes with the computation for the same cores (20 charts per stage cost seconds)

        def on_progress(stage, done, total, stats):
            now = time.time()
            if stats:
                for k, v in stats.items():
                    traces.setdefault(stage, {}).setdefault(k, []).append(v)
                if now - shown["chart"] >= CHART_EVERY_S or done == total:
                    shown["chart"] = now
                    chart.plotly_chart(
                        figures.trace_figure({s: {k: np.array(v) for k, v in t.items()} for s, t in traces.items()}),
                        key=f"tr{stage}{done}",
                    )
            if now - shown["bar"] >= BAR_EVERY_S or done == total:
                shown["bar"] = now
                bar.progress(min(1.0, done / max(total, 1)), text=f"{stage}: {done}/{total} · {now - t_start:.1f} s")

        with resources.job_lock():
            results = ac.run_all_methods(
                model,
                x.to(resources.device()),
                c.norm,
                theta0,
                c.settings,
                seed=c.seed,
                indices=[image.idx],
                callback=on_progress,
                config=ac.core.certify_config(c.precision),
                certify_model=resources.int8_model(c.model_name) if c.precision == "int8" else None,
                optimizer_autocast=ac.core.autocast_dtype(c.optimizer_precision),
                snapshots=PLAYBACK_SNAPSHOTS,
            )
        status.update(label=f"done in {time.time() - t_start:.1f} s", state="complete", expanded=False)
        set_last_run(
            Run(
                results,
                image.name,
                image.idx,
                x.cpu(),
                image.label,
                c.norm,
                c.model_name,
                c.sigma,
                c.settings,
                theta0,
                c.seed,
                c.preset,
                c.precision,
                time.time() - t_start,
                f"{image.idx}-{c.norm}-{c.model_name}-{time.time()}",
                c.optimizer_precision,
            )
        )
    except AncerInputError as e:
        st.error(f"Could not run: {e}")
    except Exception as e:  # e.g. out of memory: keep the app alive, say what happened
        st.error(f"The run failed ({type(e).__name__}: {e}). Try the Quick preset or smaller N.")
    finally:
        st.session_state["running"] = False
