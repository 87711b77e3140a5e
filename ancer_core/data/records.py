"""A run's record: the settings and provenance written beside every result file, θ folder and export,
built by one function (:func:`run_record`) and named by another (:func:`result_path`, :func:`settings_path`);
and the rules for resuming into a file that has one (:data:`RESUME_KEYS`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..core.settings import PRESETS, Settings, describe_surrogate
from .files import read_json

RESULT_SUFFIX = ".tsv"


def result_path(folder: str | Path, method: str) -> Path:
    """A grid's result file of ``method``: ``FOLDER/METHOD.tsv`` (what ``analyze`` and the results page read)."""
    return Path(folder) / f"{method}{RESULT_SUFFIX}"


def preset_label(name: str | None, settings: Settings) -> str | None:
    """The preset a run used: its name when the settings are that preset's, "NAME, changed" when some
    were overridden (the ``settings`` say which), None without a preset."""
    if name is None:
        return None
    return name if PRESETS[name].as_dict() == settings.as_dict() else f"{name}, changed"


def preset_words(meta: dict) -> str:
    """A record's preset in words: "preset paper", or "preset paper with sampling, radii changed" when the run
    overrode some of its settings (:func:`preset_label`), "preset ?" when the record names none."""
    label = meta.get("preset")
    if not label:
        return "preset ?"
    name = str(label).split(",")[0]
    if name == label or name not in PRESETS:
        return f"preset {label}"
    ran, preset = meta.get("settings") or {}, PRESETS[name]
    recorded = preset.as_dict()  # as a record spells them (settings at their defaults may be left out)
    changed = [k for k, v in ran.items() if not _same(v, recorded[k] if k in recorded else getattr(preset, k, None))]
    return f"preset {name} with {', '.join(changed)} changed" if changed else f"preset {label}"


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return bool(np.isclose(a, b))
    return a == b


def run_record(
    *,
    command: str,
    model_name: str,
    model: torch.nn.Module,
    norm: str,
    sigma: float,
    theta0: float,
    settings: Settings,
    preset: str | None,
    seed: int,
    precision: str,
    optimizer_precision: str,
    device: str,
    hardware: str | None = None,
    certify_model: torch.nn.Module | None = None,
    **extra,
) -> dict:
    """What made a run's certificates, as every result file, θ folder and export records it: the
    command, the network (its card without machine paths, the weights' and the int8 calibration's
    fingerprints), the noise and σ, the preset and every setting (with the surrogate in words), the
    seed, the precisions, the device and the software; ``extra``: what only that kind of run has."""
    card = getattr(model, "card", {}) or {}
    record = {
        "command": command,
        "model": model_name,
        "model_card": {k: v for k, v in card.items() if k != "path"},  # no machine path
        "weights_sha256": card.get("weights_sha256"),
        "int8_calibration": getattr(certify_model, "card", {}).get("int8_calibration") if certify_model else None,
        "norm": norm,
        "sigma": sigma,
        "theta0": theta0,
        "preset": preset_label(preset, settings),
        "settings": settings.as_dict(),
        "surrogate": describe_surrogate(settings),
        "N0": settings.n0,
        "N": settings.n,
        "alpha": settings.alpha,
        "seed": seed,
        "precision": precision,
        "optimizer_precision": optimizer_precision,
        "device": device,
        "hardware": hardware,
        "torch": str(torch.__version__),
        "ancer_core": __version__,
    }
    return record | extra


def settings_path(result_file: str | Path) -> Path:
    """Where a result file's settings are kept: ``FILE.tsv.json`` beside ``FILE.tsv``."""
    p = Path(result_file)
    return p.with_name(p.name + ".json")


def read_settings(result_file: str | Path) -> dict:
    """The settings a result file was made with ({} when its settings file is missing; an error
    naming the file when it is corrupt)."""
    p = settings_path(result_file)
    fix = f"restore it, or delete {p.name} and {Path(result_file).name} to start the run over"
    return read_json(p, "the settings of a result file", fix) if p.is_file() else {}


# settings that must match for a run to resume into existing results (absent = the default when
# files written before the key existed are resumed). The weights' fingerprint and the int8
# calibration make sure one file never mixes the certificates of two networks that share a name
# (a retrained model, a new int8 calibration).
RESUME_KEYS = {
    "model": None,
    "weights_sha256": None,
    "int8_calibration": None,
    "norm": None,
    "method": None,
    "sigma": None,
    "N0": None,
    "N": None,
    "alpha": None,
    "seed": None,
    "settings": None,
    "precision": "fp32",
    "optimizer_precision": "fp32",
    "uniform_convention": "std",
}


def settings_diff(old: dict, new: dict, keys: dict) -> dict:
    """{key: (old, new)} for the keys whose values differ (a missing key counts as its default; inside a
    nested dict such as ``settings``, a key the older file lacks counts as None, the default of every
    setting added since, which is what that run did)."""

    def same(a, b) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return all(a.get(k) == b.get(k) for k in set(a) | set(b))
        return a == b

    return {k: (old.get(k, d), new.get(k, d)) for k, d in keys.items() if not same(old.get(k, d), new.get(k, d))}


def describe_diff(diff: dict) -> str:
    """A :func:`settings_diff` in a few words: ``key: then → now`` (inside a nested dict, only the
    entries that differ; long values shortened), for one-line error messages."""

    def short(v) -> str:
        text = repr(v)
        return text if len(text) <= 24 else text[:10] + "…" + text[-8:]

    parts = []
    for k, (a, b) in diff.items():
        if isinstance(a, dict) and isinstance(b, dict):
            inner = {j: (a.get(j), b.get(j)) for j in sorted(set(a) | set(b)) if a.get(j) != b.get(j)}
            parts += [f"{k}.{j}: {short(x)} → {short(y)}" for j, (x, y) in inner.items()]
        else:
            parts.append(f"{k}: {short(a)} → {short(b)}")
    return "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")


def decided_radii(metas) -> tuple[float, ...] | None:
    """The radii that every table-mode file among ``metas`` (result records) decided, None when none is in
    table mode. A table-mode file drew each image's samples only until its certificate was known to reach each
    of its radii or not, as fixed sampling at N would decide it (docs/conventions.md, "Sequential CERTIFY"):
    there its certified accuracy is fixed N's; at any other radius, in ACR and in the proxy radius its radii
    are lower bounds (sound, but short of fixed N's), so tables over it show only these radii."""
    sets = [
        tuple(float(r) for r in (m.get("settings") or {})["radii"])
        for m in metas
        if (m.get("settings") or {}).get("sampling") == "sequential" and (m.get("settings") or {}).get("radii")
    ]
    if not sets:
        return None
    return tuple(r for r in sets[0] if all(any(np.isclose(r, q) for q in other) for other in sets[1:]))


def shown_radii(radii, metas) -> tuple[list[float], bool]:
    """The radii a table over these files shows (``radii`` as asked, or only the decided ones where a file is in
    table mode: :func:`decided_radii`) and whether its ACR, AC R̃ and proxy-radius figures mean what they say."""
    decided = decided_radii(metas)
    if decided is None:
        return [float(r) for r in radii], True
    return [r for r in decided if any(np.isclose(r, q) for q in radii)] or list(decided), False


def table_mode_words(metas) -> str:
    """What a table over table-mode files leaves out, and why (empty when no file is in table mode)."""
    decided = decided_radii(metas)
    if decided is None:
        return ""
    return (
        "Table mode: every image drew samples only until the radii "
        + ", ".join(f"{r:g}" for r in decided)
        + " were decided, as fixed sampling at N decides them, so certified accuracy is shown at those radii only; "
        "ACR, AC R̃, the proxy radius and any other radius need every image's radius at N and are not shown "
        "(such a file's radius there is a lower bound)."
    )


def sampling_words(meta: dict) -> str:
    """How a result file's CERTIFY drew its estimation samples, from its record: "N = 100,000" (fixed: every
    image drew N) or "sequential sampling (table mode at radii 0, 0.25; at most N = 100,000 each)"."""
    n, s = meta.get("N"), meta.get("settings") or {}
    at_most = f"N = {n:,}" if isinstance(n, int) else "N = ?"
    if s.get("sampling", "fixed") != "sequential":
        return at_most
    if s.get("radii"):
        how = "table mode at radii " + ", ".join(f"{r:g}" for r in s["radii"])
    elif s.get("tolerance") is None:
        how = "stopping early only to abstain"
    else:
        how = f"tolerance {s['tolerance']:g}"
    return f"sequential sampling ({how}; at most {at_most} each)"
