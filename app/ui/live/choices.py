"""The live page's sidebar: the image, the noise and model, σ, the preset, CERTIFY's precision and the
advanced settings. The image, noise, model, σ and preset are read from the URL (a link reopens that
view); the advanced settings are not, and start at the preset's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.core.noise import GAUSSIAN, UNIFORM, noise_for
from ancer_core.core.precision import default_optimizer_precision, native_bf16
from ancer_core.core.settings import ISO_SOLVERS, PRESETS, SAMPLINGS, Settings
from ancer_core.core.settings import preset as preset_settings
from ancer_core.core.surrogate import DEFAULT_THETA_MAX_RATIO, OBJECTIVE_BOUND, OBJECTIVE_WORDS
from ancer_core.data import CLASSES
from ancer_core.models.checkpoints import ranked_models

from .. import display, keys, resources
from .images import class_pool, pick

NORM_LABEL = {n.norm: f"{n.norm_symbol} {n.region} ({n.name} noise)" for n in (GAUSSIAN, UNIFORM)}
CHECKPOINT = "checkpoint path…"
BOUNDS = (OBJECTIVE_BOUND, 1.5, 2.0, 3.0, 4.0, None)  # θ ≤ this × the initial θ; None: unbounded


SAMPLING_LABELS = {"fixed": "fixed: all N samples", "sequential": "sequential: stop when the answer is known"}


def _bound_label(b) -> str:
    if b == OBJECTIVE_BOUND:
        return f"the objective's own (anchored: {DEFAULT_THETA_MAX_RATIO:g} × the initial θ; the paper's: none)"
    return "none (θ unbounded)" if b is None else f"{b:g} × the initial θ"


SOLVER_LABELS = {
    "gradient": "gradient steps (the original's)",
    "scalar": "scalar: a grid of log θ, then golden section",
}
SOURCES = {"test": "a CIFAR-10 test image", "own": "your own image"}


@dataclass(kw_only=True)
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
    settings: Settings | None  # None when the advanced settings are invalid (``settings_error`` says why)
    settings_error: str | None
    seed: int
    precision: str  # the network CERTIFY samples: fp32, bf16 (autocast) or int8
    optimizer_precision: str = "fp32"  # the optimizers' autocast: fp32 or bf16 (never affects soundness)


def _qp_number(name: str, default, lo, hi, cast=int):
    """A query parameter as a number in [lo, hi]; a malformed or out-of-range value falls back to the default."""
    try:
        v = cast(st.query_params.get(name, default))
        return v if lo <= v <= hi else default
    except (TypeError, ValueError):
        return default


def init_from_url(n_images: int) -> None:
    """Widgets that a shared link sets are keyed and read the URL once per session; deriving their
    defaults from the URL on every rerun would recreate them (a new default is a new widget) and
    undo the user's next click."""
    qp = st.query_params
    st.session_state.setdefault(keys.IMAGE_INDEX, _qp_number("image", 0, 0, n_images - 1))
    st.session_state.setdefault("norm", qp.get("norm") if qp.get("norm") in NORM_LABEL else GAUSSIAN.norm)
    st.session_state.setdefault("preset", "paper" if qp.get("preset") == "paper" else "quick")
    st.session_state.setdefault("url_model", qp.get("model"))
    st.session_state.setdefault("url_sigma", _qp_number("sigma", None, 0.05, 1.5, float))
    st.session_state.setdefault(keys.SAMPLING, qp.get("sampling") if qp.get("sampling") in SAMPLINGS else "fixed")


def model_choice(cards: dict, norm: str) -> tuple[str, float]:
    """The model select box (shipped models of this noise first, σ = 0.25 first) → (name, training σ)."""
    noise = noise_for(norm).name
    ranked = [n for n in ranked_models(norm) if n in cards]
    names = [n for n in ranked if cards[n]["noise"] == noise] or ranked
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


# the order when this device's speeds are not measured yet: what every CPU measured so far ranks first
# (docs/performance.md: int8 ×2.2–3.6 the fp32 rate, bf16 faster where the CPU has bf16 units)
USUAL_ORDER = ("int8", "bf16", "fp32")


def precision_choice(model_name: str) -> str:
    """CERTIFY's precision: the fastest this device runs is offered first, with its measured speed-up.

    The speeds are measured once per server after the Run button is drawn (``run.show_estimate``), so
    that a student's first page does not wait for them; until then the precisions this device offers
    come in their usual order. Which precisions are offered never depends on another session's job, so
    that every student of a class gets the same default, and so the same, shareable run."""
    speeds = resources.known_precision_speeds(model_name, str(resources.device())) or {}
    offered = resources.offered_precisions(model_name)
    order = sorted(offered, key=lambda p: (-speeds.get(p, 0.0), USUAL_ORDER.index(p)))
    if display.presenter():
        return order[0]

    def label(p: str) -> str:
        if p == "fp32" or not speeds.get("fp32") or p not in speeds:
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
        "the fp32 one on most noisy inputs but not all.",
    )


def optimizer_precision_choice(precision: str) -> str:
    """The optimizers' precision, defaulting to the command line's for the same CERTIFY precision on this
    device (``default_optimizer_precision``); bf16 is offered where the device runs it natively."""
    device = resources.device()
    default = default_optimizer_precision(precision, device)
    options = ["fp32", "bf16"] if native_bf16(device) or default == "bf16" else ["fp32"]
    if display.presenter() or len(options) == 1:
        return default
    return st.selectbox(
        "optimizers' precision",
        options,
        index=options.index(default),
        key=f"optimizer-precision-{precision}",
        help=f"Autocast of Isotropic DD's and ANCER's passes; default here: {default}, as the command line's "
        "--optimizer-precision on this device. θ is fixed before CERTIFY samples, so this never affects soundness.",
    )


def _advanced_settings(preset_name: str, model_name: str) -> tuple[Settings | None, str | None, int, str, str]:
    """The advanced settings, keyed per preset (switching presets restores that preset's values)."""
    base, k = PRESETS[preset_name], preset_name
    with st.expander("advanced settings"):
        precision = precision_choice(model_name)
        optimizer_precision = optimizer_precision_choice(precision)
        n0 = st.number_input("N0 (selection samples)", 1, 1_000_000, base.n0, key=f"n0-{k}")
        n = st.number_input("N (estimation samples)", 1, 10_000_000, base.n, key=f"n-{k}")
        alpha = st.number_input("α (failure probability)", 0.0, 1.0, base.alpha, format="%.4f", key=f"alpha-{k}")
        iso_it = st.number_input("Isotropic DD iterations", 0, 5000, base.iso_iterations, key=f"iso-{k}")
        an_it = st.number_input("ANCER iterations", 0, 5000, base.ancer_iterations, key=f"ancer-{k}")
        samples = st.number_input("samples per iteration", 1, 10_000, base.ancer_samples, key=f"samples-{k}")
        kappa = st.number_input("κ", 0.0, 100.0, base.kappa, key=f"kappa-{k}")
        objective = st.selectbox(
            "optimizers' objective",
            list(OBJECTIVE_WORDS),
            format_func=OBJECTIVE_WORDS.get,
            key=keys.OBJECTIVE,
            help="What Isotropic DD and ANCER maximise. The paper's top-2 gap may switch to a class the network "
            "answers for any input under heavy noise (an attractor class, docs/results.md); the anchored gap keeps "
            "the class the smoothed classifier answers at the initial noise. CERTIFY counts the same hard votes "
            "either way. Run both on one image and compare them below.",
        )
        bound = st.selectbox(
            "bound on θ (θ = σ for ℓ2, λ for ℓ1)",
            BOUNDS,
            format_func=_bound_label,
            key=keys.THETA_BOUND,
            help="Every θ the optimizers reach stays ≤ this multiple of the initial θ. Beyond about twice its "
            "training noise every shipped network answers mostly one class whatever the image "
            "(results/attractors.json), so a larger θ certifies that class rather than the image.",
        )
        iso_solver = st.selectbox("Isotropic DD solver", ISO_SOLVERS, format_func=SOLVER_LABELS.get, key="iso_solver")
        sampling = st.selectbox(
            "CERTIFY's sampling",
            SAMPLINGS,
            format_func=SAMPLING_LABELS.get,
            key=keys.SAMPLING,
            help="Fixed draws all N estimation samples (Cohen et al.). Sequential draws them in looks (128, 256, … "
            "up to N) and stops once the answer is known: to abstain when the top class is confidently no "
            "majority, or when more samples could add less than the tolerance to the radius. Each certificate "
            "still holds with probability ≥ 1 − α: the early looks get a share of α (docs/conventions.md, "
            "section Sequential CERTIFY).",
        )
        tolerance = st.number_input(
            "tolerance (sequential: relative radius gain not worth more samples)",
            0.0,
            1.0,
            base.tolerance,
            format="%.3f",
            key=f"tolerance-{k}",
            disabled=sampling == "fixed",
        )
        seed = int(st.number_input("seed", 0, 2**31 - 1, 0, key="seed"))
    try:
        settings = preset_settings(
            preset_name,
            n0=int(n0),
            n=int(n),
            alpha=float(alpha),
            iso_iterations=int(iso_it),
            iso_samples=int(samples),
            ancer_iterations=int(an_it),
            ancer_samples=int(samples),
            kappa=float(kappa),
            objective=objective,
            theta_max_ratio=bound,
            iso_solver=iso_solver,
            sampling=sampling,
            tolerance=float(tolerance),
        )
        return settings, None, seed, precision, optimizer_precision
    except AncerInputError as e:
        return None, str(e), seed, precision, optimizer_precision


def sidebar(cards: dict, y_all: np.ndarray) -> Choice:
    """Image, norm, model, σ, preset and advanced settings; mirrors them into the URL."""
    with st.sidebar:
        st.header("Choose")
        source = st.radio("image", list(SOURCES), format_func=SOURCES.get, key="source", horizontal=True)

        def on_class_change():  # jump to the first image of the chosen class unless the current one is in it
            pool = class_pool(y_all, st.session_state["class_filter"])
            if st.session_state[keys.IMAGE_INDEX] not in set(pool.tolist()):
                st.session_state[keys.IMAGE_INDEX] = int(pool[0])

        cls, pool, idx = "all", np.arange(len(y_all)), int(st.session_state[keys.IMAGE_INDEX])
        if source == "test":
            cls = st.selectbox(
                "class filter", ["all"] + list(CLASSES), index=0, key="class_filter", on_change=on_class_change
            )
            pool = class_pool(y_all, cls)
            st.button("🎲 random image", on_click=lambda: pick(np.random.default_rng().choice(pool)))
            idx = int(st.number_input("test image index (0–9999)", 0, len(y_all) - 1, key=keys.IMAGE_INDEX))
        norm = st.radio("norm", list(NORM_LABEL), format_func=NORM_LABEL.get, key="norm")
        model_name, trained = model_choice(cards, norm)
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
            settings = preset_settings(preset, sampling=st.session_state.get(keys.SAMPLING, "fixed"))
            settings_error, seed = None, int(st.session_state.get("seed", 0))
            precision = precision_choice(model_name)
            optimizer_precision = optimizer_precision_choice(precision)
        else:
            settings, settings_error, seed, precision, optimizer_precision = _advanced_settings(preset, model_name)
        st.caption(f"device: **{resources.device_label()}**")
        st.query_params.update(
            {"image": idx, "norm": norm, "model": model_name, "preset": preset, "sigma": f"{sigma:g}"}
        )
        if settings is not None and settings.sequential:  # a shared link keeps it
            st.query_params["sampling"] = "sequential"
        elif "sampling" in st.query_params:
            del st.query_params["sampling"]
    return Choice(
        source=source,
        idx=idx,
        pool=pool,
        cls=cls,
        norm=norm,
        model_name=model_name,
        sigma=sigma,
        preset=preset,
        settings=settings,
        settings_error=settings_error,
        seed=seed,
        precision=precision,
        optimizer_precision=optimizer_precision,
    )
