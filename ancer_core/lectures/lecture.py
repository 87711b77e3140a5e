"""A prepared lecture: the views of a class in order — a page, its settings, a note for the class — in a
small JSON file, and the runs behind its live-page views computed ahead of time into the result store.

    {"title": "Randomized smoothing, anisotropically",
     "steps": [{"page": "live", "image": 3, "model": "small-gaussian-0.25", "norm": "l2", "sigma": 0.25,
                "note": "ANCER certifies a region far larger than the ball."},
               {"page": "toy", "note": "…"}]}

A live step names the test image and may name the model (default: the shipped one trained nearest its σ
for its noise), norm (l2), σ (the model's), preset (quick), sampling (fixed), seed (0) and CERTIFY's
precision (default: the fastest this device offers, int8 where calibrated). Other pages take their page
name and a note; any other keys of theirs are passed to the page as its link's parameters (a toy step's
``points``: a drawn set's link code; its view is otherwise the page's opening one, which
:func:`prepare_toy_steps` computes ahead like the live runs). The app opens a
lecture at ``/?lecture=NAME`` (a shipped lecture, or a file in ``$ANCER_LECTURES``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.precision import default_device, default_optimizer_precision
from ..core.protocol import MethodResult
from ..core.settings import PRESETS, SAMPLINGS, preset
from ..core.validation import AncerInputError
from ..data.cifar10 import load_cifar10
from ..data.store import ResultStore
from ..models.cards import shipped_models
from ..models.certifying_network import certifying
from ..models.checkpoints import default_model_name, load_model
from ..models.quantized import int8_ready
from ..teaching import toy_views
from ..teaching.live import LiveRun, default_precision

PAGES = ("live", "toy", "hessian", "theory", "results")
LIVE_KEYS = {"page", "note", "image", "model", "norm", "sigma", "preset", "sampling", "seed", "precision"}
SHIPPED = Path(__file__).resolve().parent / "shipped"
MAX_LECTURE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Step:
    page: str
    note: str
    params: dict = field(default_factory=dict)  # the page's link parameters (strings and numbers)

    @property
    def query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.params.items()}


@dataclass(frozen=True)
class Lecture:
    name: str
    title: str
    steps: tuple[Step, ...]


def lecture_folders() -> list[Path]:
    """Where lectures are found by name: ``$ANCER_LECTURES`` (os.pathsep-separated folders), then the shipped ones."""
    extra = [Path(p) for p in os.environ.get("ANCER_LECTURES", "").split(os.pathsep) if p]
    return [*extra, SHIPPED]


def find_lecture(name: str) -> Path:
    """The file of lecture ``name`` (letters, digits, - and _ only: a name, never a path)."""
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise AncerInputError(f"lecture {name!r}: a lecture's name has letters, digits, - and _ only")
    for folder in lecture_folders():
        path = folder / f"{name}.json"
        if path.is_file():
            return path
    known = sorted({p.stem for f in lecture_folders() if f.is_dir() for p in f.glob("*.json")})
    raise AncerInputError(f"no lecture {name!r}; the lectures here are {', '.join(known) or 'none'}")


def read_lecture(source: str | os.PathLike) -> Lecture:
    """A lecture from its file (a path) or its name (:func:`find_lecture`), checked step by step."""
    path = Path(source)
    if path.suffix != ".json" or not path.is_file():
        path = find_lecture(str(source))
    if path.stat().st_size > MAX_LECTURE_BYTES:
        raise AncerInputError(f"{path} is larger than a lecture ({MAX_LECTURE_BYTES // 1024} KB); give its JSON file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise AncerInputError(
            f"{path} is not a lecture's JSON ({type(e).__name__}: {e}); fix it or start from the shipped example"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list) or not doc["steps"]:
        raise AncerInputError(f'{path}: a lecture is an object with a non-empty list "steps"')
    steps = tuple(_step(path, k + 1, s) for k, s in enumerate(doc["steps"]))
    return Lecture(path.stem, str(doc.get("title") or path.stem), steps)


def _step(path: Path, k: int, s) -> Step:
    where = f"{path} step {k}"
    if not isinstance(s, dict) or s.get("page") not in PAGES:
        raise AncerInputError(f"{where}: each step names a page, one of {', '.join(PAGES)}")
    note = str(s.get("note", ""))
    params = {key: v for key, v in s.items() if key not in ("page", "note")}
    for key, v in params.items():
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise AncerInputError(f"{where}: {key} must be a number or a text, not {v!r}")
    if s["page"] == "live":
        unknown = set(s) - LIVE_KEYS
        if unknown:
            raise AncerInputError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; use {sorted(LIVE_KEYS)}")
        if not isinstance(s.get("image"), int) or not 0 <= s["image"] < 10000:
            raise AncerInputError(f'{where}: a live step names a test image, "image": 0 … 9999')
        params = live_params(params, where)
    return Step(s["page"], note, params)


def live_params(p: dict, where: str = "") -> dict:
    """A live step's settings with every default filled in (model, norm, σ, preset, sampling, seed, precision)."""
    cards = shipped_models()
    norm = p.get("norm", "l2")
    if norm not in ("l2", "l1"):
        raise AncerInputError(f"{where}: norm {norm!r}; use l2 or l1")
    model = p.get("model") or default_model_name(norm)[0]
    if model not in cards:
        raise AncerInputError(f"{where}: model {model!r} is not shipped; use one of {', '.join(cards)}")
    out = dict(p, norm=norm, model=model)
    out.setdefault("sigma", float(cards[model]["sigma"]))
    out.setdefault("preset", "quick")
    out.setdefault("sampling", "fixed")
    out.setdefault("seed", 0)
    if out["preset"] not in PRESETS or out["sampling"] not in SAMPLINGS:
        raise AncerInputError(f"{where}: preset {out['preset']!r} / sampling {out['sampling']!r} are not known")
    if not 0.05 <= float(out["sigma"]) <= 1.5:
        raise AncerInputError(f"{where}: sigma {out['sigma']!r}; use 0.05 … 1.5 (the live page's range)")
    device = default_device()
    offered = {"fp32", "bf16", "int8"}
    out.setdefault("precision", default_precision(device, int8_ready(model)))
    if out["precision"] not in offered:
        raise AncerInputError(f"{where}: precision {out['precision']!r}; use fp32, bf16 or int8")
    return out


def live_run(params: dict, weights: str | None) -> LiveRun:
    """The :class:`LiveRun` of a live step's (filled-in) settings, on this machine's device."""
    device = default_device()
    return LiveRun(
        model=params["model"],
        weights=weights,
        idx=int(params["image"]),
        norm=params["norm"],
        sigma=float(params["sigma"]),
        settings=preset(params["preset"], sampling=params["sampling"]),
        seed=int(params["seed"]),
        precision=params["precision"],
        optimizer_precision=default_optimizer_precision(params["precision"], device),
        device=str(device),
    )


def prepare(
    lecture: Lecture,
    store: ResultStore,
    say: Callable[[str], None] = print,
    callback: Callable[[str, int, int, dict], None] | None = None,
) -> list[tuple[int, str, bool]]:
    """Compute every live step's run into ``store`` (those already there are kept); returns (step, key, whether
    it was computed now) for each live step."""
    x_all, _ = load_cifar10("test")
    device = default_device()
    done = []
    for k, step in enumerate(lecture.steps, start=1):
        if step.page != "live":
            continue
        p = step.params
        model = load_model(p["model"], device)
        run = live_run(p, getattr(model, "card", {}).get("weights_sha256"))
        x = x_all[p["image"] : p["image"] + 1].to(device)
        key = run.key(x)
        if key in store:
            say(f"step {k}: image {p['image']} on {p['model']} ({p['norm']}, σ = {p['sigma']:g}): already prepared")
            done.append((k, key, False))
            continue
        say(f"step {k}: image {p['image']} on {p['model']} ({p['norm']}, σ = {p['sigma']:g}, {p['precision']})…")
        network = certifying(p["model"], p["precision"], device=device).network
        results: dict[str, MethodResult] = run.compute(model, x, network, callback)
        store.put(key, results)
        done.append((k, key, True))
    return done


def toy_view(step: Step) -> toy_views.ToyView:
    """The toy page's opening view for a toy step: its drawn set (``points``) or the default one."""
    points = step.params.get("points")
    return toy_views.ToyView(data=str(points)) if points else toy_views.ToyView()


def prepare_toy_steps(lecture: Lecture, store: ResultStore, say: Callable[[str], None] = print) -> int:
    """Compute what the toy page computes when it opens on each toy step (its network, the planes at its
    point, ANCER's path, the per-input sections) into ``store``; returns how many distinct views there were."""
    views = list(dict.fromkeys(toy_view(s) for s in lecture.steps if s.page == "toy"))
    for k, view in enumerate(views, start=1):
        say(f"toy view {k} of {len(views)}: the {view.data if view.data in toy_views.TOY_DATASETS else 'drawn'} set…")
        toy_views.prepare(store, view)
    return len(views)
