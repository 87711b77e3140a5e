"""The live page's run: the estimate of its work before, and the three methods with live progress."""

from __future__ import annotations

import os
import time

import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.core.noise import noise_for, smoothing_theta
from ancer_core.core.settings import METHODS, work_estimate
from ancer_core.teaching.live import LiveRun

from .. import keys, resources
from ..jobs import QueueState
from ..session import Run, set_last_run
from . import certificates
from .choices import Choice
from .images import Image

BAR_EVERY_S = 0.5  # the progress bar's redraw interval during a run


def estimate_seconds(c: Choice) -> tuple[dict, dict] | None:
    """The work of a run and this device's measured speed ({forward, gradient} images/s), or None while
    another session's job holds the device (timing it then would mislead) or the model does not load.
    The first time on a server, it also runs the methods once lightly (:func:`resources.warmed_up`), after
    the Run button is on the page, so that the first Run is as fast as the next."""
    lock = resources.job_lock()
    if not lock.acquire(blocking=False):
        return None
    try:
        dev = str(resources.device())
        rate = dict(resources.throughput(c.model_name, dev))
        # every precision's speed, measured once per server here, after the Run button is on the page
        speeds = resources.precision_speeds(c.model_name, dev)
        rate["forward"] = speeds.get(c.precision, rate["forward"])
        resources.warmed_up(c.model_name, dev, c.norm, c.precision, c.optimizer_precision)
        return work_estimate(c.settings), rate
    except AncerInputError:
        return None  # a checkpoint that does not load: the run reports it
    finally:
        lock.release()


def _seconds(work: dict, rate: dict) -> float:
    return work["forward"] / rate["forward"] + work["gradient"] / rate["gradient"]


def show_estimate(where, c: Choice) -> None:
    """Before Run: the work the run is and a rough duration from this device's measured speed."""
    settings, precision = c.settings, c.precision
    found = estimate_seconds(c)
    if found is None:
        where.caption(
            "The device is running another session's job now, so this run's time cannot be estimated fairly: "
            "it will start when that job is done (the queue shows your place)."
        )
        return
    work, rate = found
    where.caption(
        f"This run: {work['forward']:,} noisy images through the network without gradients (the three "
        f"CERTIFY calls in {precision}"
        + (", at most: sequential sampling stops each as soon as it can" if settings.sequential else "")
        + (", the scalar Isotropic DD solver's grid" if settings.iso_solver == "scalar" else "")
        + f") and {work['gradient']:,} forward + backward passes for the optimizers — about "
        f"**{resources.duration(_seconds(work, rate))}** of computation on this device (a rough estimate from its "
        f"measured speed: {rate['forward']:,.0f} and {rate['gradient']:,.0f} images/s)." + busy_words()
    )


def busy_words() -> str:
    """What else the server's CPUs are doing now, which the estimate (measured on a quiet device) cannot know."""
    try:
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
    except (AttributeError, OSError):  # no load average on this system: say that it is not known
        return " Whether other work slows this device now is not known here."
    if load <= 0.5 * cores:
        return ""
    return (
        f" The server is busy (load {load:.1f} on {cores} cores, other sessions' runs or other programs): "
        f"expect up to ×{1 + load / cores:.1f} as long."
    )


def live_run(c: Choice, image: Image, weights: str | None) -> LiveRun:
    """Everything the result of a run depends on (the library's definition, shared with ``ancer lecture
    prepare``): the same run, the same key, the same certificates, for every session and server."""
    return LiveRun(
        model=c.model_name,
        weights=weights,
        idx=image.idx,
        norm=c.norm,
        sigma=float(c.sigma),
        settings=c.settings,
        seed=c.seed,
        precision=c.precision,
        optimizer_precision=c.optimizer_precision,
        device=str(resources.device()),
    )


def _queue_words(q: QueueState) -> str:
    if q.wait_s is None:
        wait = ""
    elif q.wait_s < 1.5:  # the estimate is spent: say so rather than count "0 s to go" for as long as it lasts
        wait = ", past its estimate: the run ahead is taking longer than this device's measured speed says"
    else:
        wait = f", about {resources.duration(q.wait_s)} to go"
    if q.sharing:
        where = "it is running now" if q.ahead == 0 else f"it is number {q.position} in the queue"
        return (
            f"Another session started exactly this run ({where}{wait}); you will get its certificates the moment "
            f"it finishes — waited {q.waited_s:.0f} s."
        )
    return (
        f"The device is busy: you are number {q.position} in the queue ({q.ahead} run"
        f"{'s' if q.ahead != 1 else ''} ahead of you{wait}) — waited {q.waited_s:.0f} s."
    )


def run_methods(where, c: Choice, image: Image) -> None:
    """Run the three methods on ``image`` with live progress, through the server's job board: a run another
    session already made (or is making) with the same inputs is shared, a different one waits its turn in a
    visible queue. Stores the result in the session."""
    x = image.x
    st.session_state[keys.RUNNING] = True
    try:
        if show_prepared(c, image):  # computed before: by a lecture's preparation, or any run
            where.success("Certificates from the result store: this exact run was computed before.", icon="📦")
            return
        model = resources.model(c.model_name, str(resources.device()))
        theta0 = smoothing_theta(c.norm, c.sigma)
        spec = live_run(c, image, getattr(model, "card", {}).get("weights_sha256"))
        key = spec.key(x)
        found = estimate_seconds(c)
        t_start = time.time()
        queue, leave = where.empty(), where.empty()
        said = {"leave": False, "text": ""}

        def on_wait(q: QueueState) -> None:  # a click anywhere (the button included) reruns and leaves the queue
            if not said["leave"]:
                said["leave"] = True
                leave.button("✕ Leave the queue", key=f"leave-{t_start}")
            text = _queue_words(q)
            if text != said["text"]:  # redraw only what changed: thirty waiting pages are thirty redraws a tick
                said["text"] = text
                queue.info(text, icon="⏳")

        def compute() -> dict:
            queue.empty()
            leave.empty()  # our turn: there is no queue left to leave
            with resources.job_lock():
                results = _compute(where, c, spec, model, x)
            resources.result_store().put(key, results)  # kept across restarts of the server
            return results

        results, shared = resources.job_board().run(
            key, compute, estimate_s=None if found is None else _seconds(*found), on_wait=on_wait
        )
        queue.empty()
        leave.empty()
        if shared:
            where.success(
                f"Certificates shared from an identical run (same model, image, norm, σ, settings, seed and "
                f"precisions) — ready after {time.time() - t_start:.1f} s.",
                icon="🤝",
            )
        _remember(results, c, image, theta0, t_start)
    except AncerInputError as e:
        st.error(f"Could not run: {e}")
    except Exception as e:  # e.g. out of memory: keep the app alive, say what happened
        st.error(f"The run failed ({type(e).__name__}: {e}). Try the Quick preset or smaller N.")
    finally:
        st.session_state[keys.RUNNING] = False


def _remember(results: dict, c: Choice, image: Image, theta0: float, t_start: float) -> None:
    """The run, as this tab's last run (what the rest of the page and the other pages show)."""
    set_last_run(
        Run(
            results=results,
            image=image.name,
            idx=image.idx,
            x=image.x.cpu(),
            label=image.label,
            norm=c.norm,
            model=c.model_name,
            sigma=c.sigma,
            settings=c.settings,
            theta0=theta0,
            seed=c.seed,
            preset=c.preset,
            precision=c.precision,
            seconds=time.time() - t_start,
            key=f"{image.idx}-{c.norm}-{c.model_name}-{time.time()}",
            optimizer_precision=c.optimizer_precision,
        )
    )


def show_prepared(c: Choice, image: Image) -> bool:
    """A prepared run of exactly these settings, shown without a click (a lecture's step): whether one was found."""
    model = resources.model(c.model_name, str(resources.device()))
    spec = live_run(c, image, getattr(model, "card", {}).get("weights_sha256"))
    prepared = resources.result_store().get(spec.key(image.x))
    if prepared is None:
        return False
    _remember(prepared, c, image, smoothing_theta(c.norm, c.sigma), time.time())
    return True


def _compute(where, c: Choice, spec, model, x) -> dict:
    """The three methods on the device, with a progress bar and the optimizers' trace redrawn as they go."""
    rows = where.empty()  # each method's certificate as soon as it exists, before the next one has run
    status = where.status("running…", expanded=True)
    bar = status.progress(0.0)
    t_start = time.time()
    done: dict = {}
    unit = noise_for(c.norm).norm_symbol

    def on_result(method, result):
        done[method] = result
        with rows.container():
            st.markdown(
                f"**Certificates so far**: {len(done)} of {len(METHODS)} methods after "
                f"{time.time() - t_start:.1f} s "
                f"({unit}, initial σ = {c.sigma:g}, N = {c.settings.n:,}, α = {c.settings.alpha:g})"
            )
            certificates.rows_table(st, certificates.certificate_rows(done, c.settings, unit), unit)

    shown = {"bar": 0.0}  # the last redraw: throttled, and only a bar — on a 2-core machine whatever the browser
    # redraws during the run competes with the computation for the same cores (a live chart cost seconds); the
    # optimizers' trace is drawn once, after the run ("Optimization trace")

    def on_progress(stage, done, total, stats):
        now = time.time()
        if now - shown["bar"] >= BAR_EVERY_S or done == total:
            shown["bar"] = now
            bar.progress(min(1.0, done / max(total, 1)), text=f"{stage}: {done}/{total} · {now - t_start:.1f} s")

    network = resources.certifying(c.model_name, c.precision, c.optimizer_precision).network
    results = spec.compute(model, x.to(resources.device()), network, on_progress, on_result)
    status.update(label=f"done in {time.time() - t_start:.1f} s", state="complete", expanded=False)
    rows.empty()  # the page's Certificates section shows them all next
    return results
