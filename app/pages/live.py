"""Live page: pick a CIFAR-10 test image and run fixed σ, Isotropic DD and ANCER on it.

The page is a sequence of sections, each a function below: the sidebar (choices), the gallery,
the run (estimate, button, live progress) and, after a run, the certificates, ANCER's per-pixel θ,
perturbed images (Figure 2), 2D slices through the regions, the export and the optimization trace.
Figures are built by ``ui.figures``; everything computed comes from ``ancer_core``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
import torch
from ui import display, figures
from ui import resources as state
from ui.session import LastRun, last_run, runs, set_last_run, test_image_name

import ancer_core as ac
from ancer_core import AncerInputError

CHART_EVERY_S, BAR_EVERY_S = 1.0, 0.25  # live trace chart / progress bar redraw intervals during a run
NORM_LABEL = {n.norm: f"{n.norm_symbol} {n.region} ({n.name} noise)" for n in (ac.GAUSSIAN, ac.UNIFORM)}
CHECKPOINT = "checkpoint path…"
SOURCES = {"test": "a CIFAR-10 test image", "own": "your own image"}


@dataclass
class Choice:
    """What the sidebar chose: the image, the noise and model, and the run's settings."""

    source: str  # "test" or "own"
    idx: int
    pool: np.ndarray  # test indices of the class filter
    cls: str
    norm: str
    model_name: str
    sigma: float
    preset: str
    settings: ac.Settings | None  # None when the advanced settings are invalid (``settings_error`` says why)
    settings_error: str | None
    seed: int
    precision: str  # the network CERTIFY samples: fp32, bf16 (autocast) or int8


def _qp_number(name: str, default, lo, hi, cast=int):
    """A query parameter as a number in [lo, hi]; a malformed or out-of-range value falls back to the default."""
    try:
        v = cast(st.query_params.get(name, default))
        return v if lo <= v <= hi else default
    except (TypeError, ValueError):
        return default


def _class_pool(y_all: np.ndarray, cls: str) -> np.ndarray:
    return np.arange(len(y_all)) if cls == "all" else np.flatnonzero(y_all == ac.CLASSES.index(cls))


def _pick(i: int):
    st.session_state["image_index"] = int(i)


def init_from_url(n_images: int) -> None:
    """Widgets that a shared link sets are keyed and read the URL once per session; deriving their
    defaults from the URL on every rerun would recreate them (a new default is a new widget) and
    undo the user's next click."""
    qp = st.query_params
    st.session_state.setdefault("image_index", _qp_number("image", 0, 0, n_images - 1))
    st.session_state.setdefault("norm", qp.get("norm") if qp.get("norm") in NORM_LABEL else ac.GAUSSIAN.norm)
    st.session_state.setdefault("preset", "paper" if qp.get("preset") == "paper" else "quick")
    st.session_state.setdefault("url_model", qp.get("model"))
    st.session_state.setdefault("url_sigma", _qp_number("sigma", None, 0.05, 1.5, float))


def _model_choice(cards: dict, norm: str) -> tuple[str, float]:
    """The model select box (shipped models of this noise first, σ = 0.25 first) → (name, training σ)."""
    noise = ac.noise_for(norm).name
    names = [n for n, c in cards.items() if c["noise"] == noise] or list(cards)
    names = sorted(names, key=lambda n: (cards[n]["noise"] != noise, abs(cards[n]["sigma"] - 0.25)))
    if st.session_state.get(f"model-{norm}") not in names + [CHECKPOINT]:
        url = st.session_state.pop("url_model", None)
        st.session_state[f"model-{norm}"] = url if url in names else names[0]
    model_name = st.selectbox("model", names + [CHECKPOINT], key=f"model-{norm}")
    if model_name == CHECKPOINT:
        model_name = st.text_input("checkpoint path (.pt, {'arch','state_dict'})", "")
    if model_name in cards and cards[model_name]["noise"] != noise:
        st.warning(
            f"`{model_name}` was trained with {cards[model_name]['noise']} noise; no shipped model was "
            f"trained with {noise} noise, so its certificates will be small."
        )
    return model_name, cards.get(model_name, {}).get("sigma", 0.25)


def _precision_speeds(model_name: str) -> dict[str, float]:
    """This device's CERTIFY speed (images/s) in each precision it runs well, measured once per model;
    fp32 alone while another session's job holds the device (timing it then would mislead)."""
    lock = state.job_lock()
    if not lock.acquire(blocking=False):
        return {"fp32": 0.0}
    try:
        return state.precision_speeds(model_name, str(state.device()))
    except AncerInputError:
        return {"fp32": 0.0}
    finally:
        lock.release()


def _precision_choice(model_name: str) -> str:
    """CERTIFY's precision: the fastest this device runs is offered first, with its measured speed-up."""
    speeds = _precision_speeds(model_name)
    order = sorted(speeds, key=lambda p: -speeds[p])
    if display.presenter():
        return order[0]

    def label(p: str) -> str:
        if p == "fp32" or not speeds["fp32"]:
            return p
        return f"{p} — ×{speeds[p] / speeds['fp32']:.1f} the fp32 speed, measured on this device"

    if st.session_state.get(f"precision-{model_name}") not in order:
        st.session_state[f"precision-{model_name}"] = order[0]
    return st.selectbox(
        "CERTIFY precision",
        order,
        format_func=label,
        key=f"precision-{model_name}",
        help="The network CERTIFY samples. A certificate is a statement about the network as run: with bf16 "
        "(autocast) or int8 (calibrated on noisy training images) it certifies that network, which agrees with "
        "the fp32 one on most noisy inputs but not all. The optimizers always run in fp32.",
    )


def _advanced_settings(preset_name: str, model_name: str) -> tuple[ac.Settings | None, str | None, int, str]:
    """The advanced settings, keyed per preset (switching presets restores that preset's values)."""
    base, k = ac.PRESETS[preset_name], preset_name
    with st.expander("advanced settings"):
        precision = _precision_choice(model_name)
        n0 = st.number_input("N0 (selection samples)", 1, 1_000_000, base.n0, key=f"n0-{k}")
        n = st.number_input("N (estimation samples)", 1, 10_000_000, base.n, key=f"n-{k}")
        alpha = st.number_input("α (failure probability)", 0.0, 1.0, base.alpha, format="%.4f", key=f"alpha-{k}")
        iso_it = st.number_input("Isotropic DD iterations", 0, 5000, base.iso_iterations, key=f"iso-{k}")
        an_it = st.number_input("ANCER iterations", 0, 5000, base.ancer_iterations, key=f"ancer-{k}")
        samples = st.number_input("samples per iteration", 1, 10_000, base.ancer_samples, key=f"samples-{k}")
        kappa = st.number_input("κ", 0.0, 100.0, base.kappa, key=f"kappa-{k}")
        seed = int(st.number_input("seed", 0, 2**31 - 1, 0, key="seed"))
    try:
        settings = ac.Settings(
            n0=int(n0),
            n=int(n),
            alpha=float(alpha),
            iso_iterations=int(iso_it),
            iso_samples=int(samples),
            ancer_iterations=int(an_it),
            ancer_samples=int(samples),
            kappa=float(kappa),
        ).validate()
        return settings, None, seed, precision
    except AncerInputError as e:
        return None, str(e), seed, precision


def sidebar(cards: dict, y_all: np.ndarray) -> Choice:
    """Image, norm, model, σ, preset and advanced settings; mirrors them into the URL."""
    with st.sidebar:
        st.header("Choose")
        source = st.radio("image", list(SOURCES), format_func=SOURCES.get, key="source", horizontal=True)

        def on_class_change():  # jump to the first image of the chosen class unless the current one is in it
            pool = _class_pool(y_all, st.session_state["class_filter"])
            if st.session_state["image_index"] not in set(pool.tolist()):
                st.session_state["image_index"] = int(pool[0])

        cls, pool, idx = "all", np.arange(len(y_all)), int(st.session_state["image_index"])
        if source == "test":
            cls = st.selectbox(
                "class filter", ["all"] + list(ac.CLASSES), index=0, key="class_filter", on_change=on_class_change
            )
            pool = _class_pool(y_all, cls)
            st.button("🎲 random image", on_click=lambda: _pick(np.random.default_rng().choice(pool)))
            idx = int(st.number_input("test image index (0–9999)", 0, len(y_all) - 1, key="image_index"))
        norm = st.radio("norm", list(NORM_LABEL), format_func=NORM_LABEL.get, key="norm")
        model_name, trained = _model_choice(cards, norm)
        if st.session_state.get("sigma_for") != model_name:  # a new model starts at its training σ (or the URL's)
            url_sigma = st.session_state.pop("url_sigma", None)
            st.session_state["sigma"] = float(url_sigma if url_sigma is not None else trained)
            st.session_state["sigma_for"] = model_name
        sigma = st.slider(
            "initial σ (noise std)",
            0.05,
            1.5,
            step=0.01,
            key="sigma",
            help="Fixed σ uses it as is; Isotropic DD starts from it. For uniform noise the half-width is λ = √3·σ.",
        )
        preset = st.radio(
            "preset",
            ["quick", "paper"],
            key="preset",
            help="Quick: interactive on a laptop CPU. Paper: Isotropic DD 900×100, ANCER 100×100, "
            "N0 = 100, N = 100,000, α = 0.001.",
        )
        if display.presenter():  # fewer controls on screen: the preset as it is
            settings, settings_error, seed = ac.PRESETS[preset], None, int(st.session_state.get("seed", 0))
            precision = _precision_choice(model_name)
        else:
            settings, settings_error, seed, precision = _advanced_settings(preset, model_name)
        st.caption(f"device: **{state.device_label()}**")
        st.query_params.update(
            {"image": idx, "norm": norm, "model": model_name, "preset": preset, "sigma": f"{sigma:g}"}
        )
    return Choice(source, idx, pool, cls, norm, model_name, sigma, preset, settings, settings_error, seed, precision)


def gallery(pool: np.ndarray, cls: str, y_all: np.ndarray, per_page: int = 24) -> None:
    with st.expander(f"gallery: {len(pool):,} images ({cls})", expanded=False):
        pages = max(1, (len(pool) + per_page - 1) // per_page)
        page = int(st.number_input("gallery page", 1, pages, 1, help=f"{pages} pages of {per_page}")) - 1
        cols = st.columns(8)
        for k, i in enumerate(pool[page * per_page : (page + 1) * per_page]):
            with cols[k % 8]:
                st.image(state.thumbnail(int(i)), caption=f"#{i} {ac.CLASSES[int(y_all[i])]}", width=64)
                st.button("pick", key=f"pick{i}", on_click=_pick, args=(int(i),))


def show_estimate(where, settings: ac.Settings, model_name: str, precision: str) -> None:
    """Before Run: the work the run is and a rough duration from this device's measured speed."""
    work = ac.work_estimate(settings)
    lock = state.job_lock()
    if not lock.acquire(blocking=False):  # never time the device while another session's job runs on it
        return
    try:
        rate = dict(state.throughput(model_name, str(state.device())))
        if precision != "fp32":
            rate["forward"] = state.precision_speeds(model_name, str(state.device()))[precision]
        eta = work["forward"] / rate["forward"] + work["gradient"] / rate["gradient"]
        where.caption(
            f"This run: {work['forward']:,} noisy images through the network for the three CERTIFY "
            f"calls ({precision}) and {work['gradient']:,} forward + backward passes for the optimizers — about "
            f"**{state.duration(eta)}** of computation on this device (a rough estimate from its measured "
            f"speed: {rate['forward']:,.0f} and {rate['gradient']:,.0f} images/s)."
        )
    except AncerInputError:
        pass  # a checkpoint that does not load: the run reports it
    finally:
        lock.release()


@dataclass
class Image:
    """The image to certify: a CIFAR-10 test image or the user's own."""

    x: torch.Tensor  # (1, 3, 32, 32) in [0, 1]
    name: str
    idx: int  # test index, or the seed index of an own image
    label: int | None


def test_image(idx: int, x_all: torch.Tensor, y_all: np.ndarray) -> Image:
    return Image(x_all[idx : idx + 1], test_image_name(idx), idx, int(y_all[idx]))


@st.cache_data(show_spinner=False)
def _bundled() -> dict[str, bytes]:
    return ac.data.bundled_photos()


def own_image(where) -> Image | None:
    """Your own image: an upload or a bundled photo, shown before and after the crop and resize."""
    where.subheader("Your own image")
    u1, u2 = where.columns([2, 1])
    photos = _bundled()
    choice = u2.radio("or a bundled photo (not from CIFAR-10)", ["upload"] + list(photos), key="own_pick")
    up = u1.file_uploader(
        "PNG or JPEG, any size (centre-cropped and resized to 32×32)", type=["png", "jpg", "jpeg"], key="own_upload"
    )
    if choice == "upload" and up is None:
        where.info("Upload an image or pick a bundled photo.")
        return None
    data, name = (up.getvalue(), up.name) if choice == "upload" else (photos[choice], choice)
    try:
        img = ac.data.prepare_image(data)
    except AncerInputError as e:
        where.error(f"Cannot use this file: {e}")
        return None
    b1, b2, b3 = where.columns([2, 1, 3])
    b1.image(img.original, caption=f"{name}: {img.original.shape[1]}×{img.original.shape[0]} as given", width=220)
    b2.image(figures._rgb(img.x.numpy()), caption="32×32, what the model sees", width=128)
    b3.caption(
        "No label: the models were trained on the ten CIFAR-10 classes, so the prediction is the class "
        "it resembles most, and the certificates say how stable that answer is. "
        + ("; ".join(img.notes).capitalize() + "." if img.notes else "")
    )
    return Image(img.x[None], name, 10_000 + zlib.crc32(data) % 1_000_000, None)


def run_methods(where, c: Choice, image: Image) -> None:
    """Run the three methods on ``image`` with live progress; store the results in the session."""
    x = image.x
    st.session_state["running"] = True
    try:
        model = state.model(c.model_name, str(state.device()))
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

        with state.job_lock():
            results = ac.run_all_methods(
                model,
                x.to(state.device()),
                c.norm,
                theta0,
                c.settings,
                seed=c.seed,
                indices=[image.idx],
                callback=on_progress,
                config=ac.core.certify_config(c.precision),
                certify_model=state.int8_model(c.model_name) if c.precision == "int8" else None,
            )
        status.update(label=f"done in {time.time() - t_start:.1f} s", state="complete", expanded=False)
        set_last_run(
            LastRun(
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
            )
        )
    except AncerInputError as e:
        st.error(f"Could not run: {e}")
    except Exception as e:  # e.g. out of memory: keep the app alive, say what happened
        st.error(f"The run failed ({type(e).__name__}: {e}). Try the Quick preset or smaller N.")
    finally:
        st.session_state["running"] = False


def certificates_table(res: LastRun) -> None:
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
        + ". "
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


def sigma_maps(res: LastRun) -> None:
    an, iso = res.results["ancer"], res.results["isotropic-dd"]
    theta_name = res.noise.theta_symbol
    iso_theta = float(iso.theta[0])
    st.subheader("Per-pixel θ of ANCER")
    st.caption(
        f"θ = the {res.noise.theta_meaning} per pixel and channel "
        f"(pixel values in [0, 1]); Isotropic DD's {theta_name} = {iso_theta:.4f} everywhere"
        + ("" if theta_name == "σ" else f" (noise std σ = {res.noise.sigma_from_theta(iso_theta):.4f})")
        + ". "
        "Bright = ANCER adds more noise there, so the region is longer along that pixel."
    )
    overlay = st.toggle("overlay on the image", value=False, key="overlay")
    display.show(
        figures.sigma_map_figure(
            an.theta[0].cpu().numpy(), iso_theta, theta_name, overlay=res.x[0].numpy() if overlay else None
        ),
        key="sigma_maps",
    )


def perturbed_images(res: LastRun) -> None:
    """Paper Figure 2: a perturbation inside ANCER's region and outside Isotropic DD's, with an
    optional Monte Carlo PREDICT at x + δ."""
    an, iso, s = res.results["ancer"], res.results["isotropic-dd"], res.settings
    an_cert = an.certificates[0]
    st.subheader("Perturbed images (paper Figure 2)")
    if an_cert.abstained or iso.certificates[0].abstained:
        st.info("A method abstained on this image, so there is no region to draw a perturbation from.")
        return
    p1, p2 = st.columns(2)
    amplify = p1.slider("amplify δ for display", 1.0, 50.0, 10.0, 1.0)
    pseed = int(p2.number_input("perturbation seed", 0, 10_000, 0))
    delta, info = ac.teaching.perturbation_outside(iso.certificates[0], an_cert, seed=pseed, center=res.x[0].numpy())
    display.show(
        figures.perturbation_figure(
            res.x[0].numpy(), delta, amplify, ("x", f"δ × {amplify:g} (grey = 0)", "x + δ (clipped to [0, 1])")
        ),
        key="perturbation",
    )
    ok = info["inside_outer"] and info["outside_inner_region"]
    st.markdown(
        f"‖δ‖{'₂' if res.noise.p == 2 else '₁'} = **{info['delta_norm']:.4f}**, against Isotropic DD's "
        f"certified radius **{info['inner_radius']:.4f}**: δ is "
        f"{'inside' if info['inside_outer'] else 'NOT inside'} ANCER's region and "
        f"{'outside' if info['outside_inner_region'] else 'inside'} the isotropic one"
        f"{'' if ok else ' (try another seed)'}. δ = θ^{info['weight_power']} ⊙ z (z Gaussian), "
        f"scaled to {info['fraction']:.0%} of the way to ANCER's boundary, then clipped to valid pixels."
    )
    if st.button(
        f"Monte Carlo check: PREDICT at x + δ with ANCER's θ (N = {s.n:,}, α = {s.alpha})",
        disabled=st.session_state.get("running", False),
    ):
        with st.spinner("sampling…"), state.job_lock():
            model = state.model(res.model, str(state.device()))
            xd = torch.as_tensor(res.x[0].numpy() + delta, dtype=torch.float32)[None].to(state.device())
            pred = ac.predict(model, xd, an.theta.to(state.device()), res.norm, s.n, s.alpha, seed=pseed + 1)[0]
        st.session_state["mc_check"] = (res.key, pseed, int(pred))
    mc = st.session_state.get("mc_check")
    if mc and mc[:2] == (res.key, pseed):
        pred = mc[2]
        said = "abstain" if pred < 0 else ac.CLASSES[pred]
        same = pred == an_cert.prediction
        (st.success if same else st.warning)(
            f"The smoothed classifier (ANCER's θ) predicts **{said}** at x + δ; at x it certified "
            f"**{ac.CLASSES[an_cert.prediction]}**. "
            + (
                "As the certificate promises."
                if same
                else "PREDICT can abstain when the two top classes are close, even inside the region; the "
                "certificate fails with probability ≤ α."
            )
        )


def region_slices(res: LastRun) -> None:
    results, an = res.results, res.results["ancer"]
    st.subheader("Regions: 2D slices through x")
    r1, r2 = st.columns([1, 2])
    kind = r1.radio(
        "directions",
        ["extreme", "random"],
        key="slice_kind",
        format_func={
            "extreme": "pixels with the largest and the smallest ANCER θ",
            "random": "two random directions",
        }.get,
    )
    rseed = int(r1.number_input("direction seed", 0, 10_000, 0, disabled=kind != "random"))
    u, v, ulab, vlab = ac.teaching.slice_directions(an.theta[0].cpu().numpy(), kind, rseed)
    curves = {
        m: ac.teaching.slice_boundary(r.certificates[0], u, v)
        for m, r in results.items()
        if not r.certificates[0].abstained
    }
    r1.caption(
        "The plane {x + a·u + b·v} with orthonormal u, v; each region's slice is exact. In 3,072 "
        "dimensions a region can be long along a few pixels and still have most of its volume gain "
        "spread over many; the extreme pixels show the largest difference."
    )
    if curves:
        display.show(figures.region_slice_figure(curves, f"a along {ulab}", f"b along {vlab}"), "slices", r2)


def export(res: LastRun) -> None:
    idx, norm = res.idx, res.norm
    st.subheader("Export")
    meta = {
        "image_index": idx,
        "image": res.image,
        "label": res.label,
        "model": res.model,
        "precision": res.precision,
        "norm": norm,
        "initial_sigma": res.sigma,
        "theta0": res.theta0,
        "settings": res.settings.as_dict(),
        "seed": res.seed,
        "device": state.device_label(),
        "ancer_core": ac.__version__,
        "theta_meaning": res.noise.theta_meaning,
    }
    js, npz = ac.export_results(res.results, meta)
    e1, e2 = st.columns(2)
    e1.download_button("certificates + settings (JSON)", js, f"ancer_{idx}_{norm}.json", "application/json")
    e2.download_button("θ per method (NumPy .npz)", npz, f"ancer_{idx}_{norm}_theta.npz", "application/octet-stream")


def optimization_trace(res: LastRun) -> None:
    traces = {k: v for r in res.results.values() for k, v in r.traces.items()}
    if traces:
        st.subheader("Optimization trace")
        display.show(figures.trace_figure(traces), key="trace_final")


def smoothed_classifier_sees(res: LastRun) -> None:
    """Noisy copies as the base classifier receives them, and CERTIFY's votes, for each method's θ."""
    st.subheader("What the smoothed classifier sees")
    st.caption(
        "The smoothed classifier's answer is a vote: the base network classifies many noisy copies x + ε of the "
        f"image, ε drawn with each method's θ ({res.noise.name} noise). Below, eight copies per method as the network "
        "receives them (clipped to [0, 1] only for display: the network sees the unclipped values) with the base "
        "network's label, and the votes of CERTIFY's estimation samples. ANCER's copies show where it dares to add "
        "more noise."
    )
    model = state.model(res.model, str(state.device()))
    k = 4 if display.presenter() else 8
    for m, r in res.results.items():
        c = r.certificates[0]
        copies, labels = ac.teaching.noisy_copies(
            model, res.x.to(state.device()), r.theta[0], res.norm, k=k, seed=res.seed, index=res.idx
        )
        counts = np.array(c.extra["counts"])
        top = c.prediction if c.prediction >= 0 else int(counts.argmax())
        second = ac.teaching.runner_up(c)
        v1, v2 = st.columns([3, 2])
        v1.markdown(f"**{m}** — θ from {float(r.theta.min()):.3f} to {float(r.theta.max()):.3f}")
        display.show(
            figures.image_strip_figure(copies.cpu().numpy(), [ac.CLASSES[int(i)] for i in labels]), f"copies-{m}", v1
        )
        said = "abstains" if c.abstained else f"certifies **{ac.CLASSES[top]}**"
        title = f"N = {c.n:,} votes; p̲A = {c.p_lower:.4f}"
        display.show(figures.votes_figure(counts, list(ac.CLASSES), top, second, title), f"votes-{m}", v2)
        v2.caption(f"{said}; runner-up {ac.CLASSES[second]} ({counts[second]:,} votes). α = {c.alpha}.")


ATTACK_DEFAULTS = {"steps": 20, "samples": 32}


def try_to_break_it(res: LastRun) -> None:
    """An attack on a method's smoothed classifier inside a region shaped like a certificate."""
    st.subheader("Try to break it")
    st.caption(
        "Projected gradient ascent on the Monte Carlo estimate of the runner-up's smoothed probability (as in "
        "Salman et al.'s SmoothAdv), with fresh noise every step, inside a region of a certificate's shape scaled by "
        "the slider. Then a fresh PREDICT at x + δ decides. Inside the attacked classifier's certified region the "
        "prediction must stand (with probability ≥ 1 − α); outside, it may fall."
    )
    methods = [m for m, r in res.results.items() if not r.certificates[0].abstained]
    if not methods:
        st.info("Every method abstained on this image: there is no certified region to attack.")
        return
    a1, a2, a3 = st.columns(3)
    attacked = a1.selectbox("attack the smoothed classifier of", methods, index=len(methods) - 1, key="atk_method")
    budget = a2.selectbox(
        "inside a region shaped like the certificate of",
        methods,
        index=len(methods) - 1,
        key="atk_budget",
        help="Choose Isotropic DD's classifier inside ANCER's region to see where the isotropic "
        "certificate ends and ANCER's still holds.",
    )
    scale = a3.slider("region size (× that certificate)", 0.5, 3.0, 0.95, 0.05, key="atk_scale")
    if not display.presenter():
        b1, b2, b3 = st.columns(3)
        steps = int(b1.number_input("steps", 1, 500, ATTACK_DEFAULTS["steps"], key="atk_steps"))
        samples = int(b2.number_input("noise samples per step", 1, 1000, ATTACK_DEFAULTS["samples"], key="atk_samples"))
        aseed = int(b3.number_input("attack seed", 0, 10_000, 0, key="atk_seed"))
    else:
        steps, samples, aseed = ATTACK_DEFAULTS["steps"], ATTACK_DEFAULTS["samples"], 0
    target_r, budget_r = res.results[attacked], res.results[budget]
    cert, bcert = target_r.certificates[0], budget_r.certificates[0]
    s = res.settings
    run_key = (res.key, attacked, budget, scale, steps, samples, aseed)
    if st.button(
        f"⚔ Attack (then PREDICT with N = {s.n:,}, α = {s.alpha})",
        key="atk_go",
        disabled=st.session_state.get("running", False),
    ):
        model = state.model(res.model, str(state.device()))
        dev = state.device()
        bar = st.progress(0.0, text="attacking…")
        t0 = time.time()
        with state.job_lock():
            out = ac.teaching.attack_smoothed(
                model,
                res.x.to(dev),
                target_r.theta[0],
                res.norm,
                ac.teaching.runner_up(cert),
                budget_r.theta[0],
                scale * bcert.gap,
                steps=steps,
                samples=samples,
                seed=aseed,
                index=res.idx,
                callback=lambda i, t, p: bar.progress(i / t, text=f"step {i}/{t}: estimated p(runner-up) = {p:.3f}"),
            )
            bar.progress(1.0, text="PREDICT at x + δ…")
            pred, votes = ac.predict(
                model,
                (res.x.to(dev) + out.delta[None]),
                target_r.theta.to(dev),
                res.norm,
                s.n,
                s.alpha,
                seed=aseed + 1,
                indices=[res.idx],
                return_counts=True,
            )
        bar.empty()
        st.session_state["attack"] = (run_key, out, int(pred[0]), votes[0], time.time() - t0)
    saved = st.session_state.get("attack")
    if not saved or saved[0] != run_key:
        return
    _, out, pred, votes, secs = saved
    delta = out.delta.cpu().numpy()
    v = ac.teaching.verdict(cert, delta, pred, s.n, s.alpha, list(ac.CLASSES))
    (st.success if v.held in (True, None) else st.error)(v.text)
    amplify = 0.5 / max(float(np.abs(delta).max()), 1e-6)
    display.show(
        figures.perturbation_figure(
            res.x[0].numpy(),
            delta,
            amplify,
            ("x", f"δ × {amplify:.0f} (grey = 0)", f"x + δ → {'abstain' if pred < 0 else ac.CLASSES[pred]}"),
        ),
        "attack_images",
    )
    p = res.noise.p
    st.caption(
        f"Attacked: {attacked}'s smoothed classifier (its certificate: {ac.CLASSES[cert.prediction]}, radius "
        f"{cert.radius:.4f}); budget ‖δ/θ‖{p} ≤ {out.budget_radius:.4f} with θ of {budget} ({scale:g} × its gap "
        f"{bcert.gap:.4f}); reached {out.budget_norm:.4f}; ‖δ‖{p} = {float(res.noise.region_norm(delta.ravel())):.4f}. "
        f"Target: {ac.CLASSES[out.target]}; its estimated smoothed probability went from {out.trace[0]:.3f} to "
        f"{out.trace[-1]:.3f} in {len(out.trace)} steps × {samples} samples. PREDICT's votes: "
        + ", ".join(f"{ac.CLASSES[i]} {int(n):,}" for i, n in enumerate(votes) if n)
        + f". {secs:.1f} s."
    )


def compare_runs(current: LastRun) -> None:
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


# --- the page ----------------------------------------------------------------------------------------
def main() -> None:
    st.title("Anisotropic certification, live")
    st.caption(
        "Randomized smoothing certifies a region around an image in which the smoothed classifier's "
        "prediction cannot change. ANCER optimizes one noise scale per pixel and channel to maximize the "
        "region's volume (Eiras, Alfarra et al., TMLR 2022)."
    )
    cards = ac.shipped_models()
    if not cards:
        st.error(
            "No shipped models found in ancer_core/models/weights. Train one with "
            "`python -m ancer_core train …` and give its path below."
        )
    x_all, y_all = state.test_split()
    init_from_url(len(y_all))
    choice = sidebar(cards, y_all)
    if choice.source == "own":
        image = own_image(st)
    else:
        if not display.presenter():
            gallery(choice.pool, choice.cls, y_all)
        image = test_image(choice.idx, x_all, y_all)
    if image is None:
        return
    c1, c2 = st.columns([1, 3])
    title = image.name if image.label is None else f"#{image.idx}: {ac.CLASSES[image.label]}"
    display.show(figures.image_figure(image.x[0].numpy(), title), "image", c1, config={"displayModeBar": False})
    if choice.settings_error is not None:
        c2.error(f"These settings make no sense: {choice.settings_error}")
    run = c2.button(
        "▶ Run fixed σ, Isotropic DD and ANCER",
        type="primary",
        disabled=choice.settings_error is not None or st.session_state.get("running", False),
    )
    loadable = choice.model_name in cards or choice.model_name.endswith((".pt", ".pth"))
    if choice.settings is not None and not run and loadable:
        show_estimate(c2, choice.settings, choice.model_name, choice.precision)
    if run:
        run_methods(c2, choice, image)
    res = last_run()
    if res and res.matches(image.name, choice.norm):
        certificates_table(res)
        smoothed_classifier_sees(res)
        try_to_break_it(res)
        sigma_maps(res)
        perturbed_images(res)
        if not display.presenter():
            region_slices(res)
            export(res)
            optimization_trace(res)
        compare_runs(res)
    else:
        c2.info("Press Run to certify this image with the three methods.")


main()
