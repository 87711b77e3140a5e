"""Sequential against fixed CERTIFY on the shipped grid's images, paired on the same noise draws.

    python scripts/measure_sequential.py record [--models NAME …] [--images 40] [--threads 1]
    python scripts/measure_sequential.py report [--tolerances 0.01,0.03,0.1]

``record`` runs the library's sequential CERTIFY, for each model and method of the shipped grid
(``results/<model>/``), with a rule that never stops early (``stop_early=False``): every image draws every
look (128, 256, … up to N), with the θ the grid certified (fixed σ; Isotropic DD's from its
``min_sigma`` column; ANCER's from ``ancer-thetas/``) and the grid's network (int8 where it was made so),
the per-image seeds of ``certify``. It keeps each image's hits at each look in
``results/remedies/sequential/<model>.<method>.npz`` (resumable: one file a model and method).

``report`` replays every rule on those draws: a sequential run with the same seed draws exactly the
first looks of these samples (each image's noise comes from its own generator, chunked at the looks), so
fixed sampling (all N, α) and each rule are compared on the *same* draws. It prints, per model and
method, the samples used, ACR and certified accuracy at each radius, for fixed sampling, the abstain-only
rule, the radius rule at each tolerance and the table mode (radii of ``analyze``); the wall time is
that of the samples (the recording's seconds per sample).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from ancer_core.core.noise import noise_for
from ancer_core.core.sequential import SequentialRule
from ancer_core.core.settings import METHODS
from ancer_core.core.smoothing import certify
from ancer_core.core.stats import lower_confidence_bound
from ancer_core.data.cifar10 import load_cifar10
from ancer_core.data.memory_replay import theta_source
from ancer_core.data.results import read_results
from ancer_core.data.thetas import THETA_FOLDER
from ancer_core.models.cards import shipped_models
from ancer_core.models.certifying_network import certifying
from ancer_core.models.checkpoints import load_model

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "remedies" / "sequential"
MODELS = sorted(shipped_models())
RECORD_EVERY_LOOK = SequentialRule(tolerance=None, stop_early=False)  # the looks of every rule replayed here
RADII = {"l2": (0.0, 0.25, 0.5, 0.75, 1.0), "l1": (0.0, 0.25, 0.5, 0.75, 1.0)}


def record(models, images: int, threads: int) -> None:
    torch.set_num_threads(threads)
    OUT.mkdir(parents=True, exist_ok=True)
    x_all, y_all = load_cifar10("test")
    for name in models:
        grid = ROOT / "results" / name
        for method in METHODS:
            path = OUT / f"{name}.{method}.npz"
            if path.is_file():
                continue
            meta = json.loads((grid / f"{method}.tsv.json").read_text())
            table = read_results(grid / f"{method}.tsv")
            idx = [int(i) for i in table["idx"][:images]]
            decided = certifying(name, meta.get("precision", "fp32"), meta.get("optimizer_precision"))
            theta_of = theta_source(method, meta, table, grid / THETA_FOLDER)
            theta = torch.as_tensor(np.stack([theta_of(i) for i in idx]), dtype=torch.float32)
            n0, n, alpha = meta["N0"], meta["N"], meta["alpha"]
            t0 = time.perf_counter()
            certs = certify(  # every look drawn (no rule stops it): each image's count at each look
                decided.sampled(load_model(name)),
                x_all[idx],
                theta,
                meta["norm"],
                n0,
                n,
                alpha,
                seed=meta["seed"],
                indices=idx,
                config=decided.config,
                sampling=RECORD_EVERY_LOOK,
            )
            seconds = time.perf_counter() - t0
            seen = np.array([[n_a for _, n_a in c.extra["looks"]] for c in certs])
            th = theta.reshape(len(idx), -1).double().numpy()
            np.savez(
                path,
                idx=np.array(idx),
                label=y_all[idx].numpy(),
                c_hat=np.array([int(np.argmax(c.extra["counts0"])) for c in certs]),
                hits=np.diff(seen, axis=1, prepend=0),  # the new hits of each look
                looks=np.array(RECORD_EVERY_LOOK.looks(n)),
                min_theta=th.min(1),
                log_gm_theta=np.log(th).mean(1),
                seconds_per_sample=seconds / (len(idx) * (n0 + n)),
                alpha=alpha,
                norm=meta["norm"],
                n0=n0,
                settings=json.dumps(meta["settings"]),
            )
            print(f"{name} {method}: {len(idx)} images in {seconds:.0f} s", flush=True)


def replay(d, rule: SequentialRule | None) -> dict:
    """Certificates of one recorded file under ``rule`` (None: fixed sampling at N): per image the
    samples drawn, the radius, the proxy radius, correct."""
    hits, looks, alpha, norm = d["hits"], [int(v) for v in d["looks"]], float(d["alpha"]), str(d["norm"])
    b, n = len(d["idx"]), looks[-1]
    if rule is None:
        p_low, used = lower_confidence_bound(hits.sum(1), n, alpha), np.full(b, n)
    else:
        state = rule.start(b, n, alpha, norm, d["min_theta"], record=False)
        while not state.done:
            state.look(hits[state.active, state.k])
        p_low, used = state.best, state.used
    gap = noise_for(norm).gap(p_low)
    correct = (p_low > 0.5) & (d["c_hat"] == d["label"])
    return {
        "samples": used,
        "radius": np.where(correct, gap * d["min_theta"], 0.0),
        "proxy": np.where(correct, gap * np.exp(d["log_gm_theta"]), 0.0),
        "correct": correct,
        "abstained": p_low <= 0.5,
        "seconds": used * float(d["seconds_per_sample"]),
    }


def report(tolerances) -> str:
    rules = {"fixed": None, "sequential, abstain only": SequentialRule(tolerance=None)}
    rules |= {f"sequential, tolerance {t:g}": SequentialRule(tolerance=t) for t in tolerances}
    lines = []
    for path in sorted(OUT.glob("*.npz")):
        d = np.load(path)
        radii = RADII[str(d["norm"])]
        table_rule = SequentialRule(radii=radii)
        rows = rules | {"table mode (radii " + ", ".join(f"{r:g}" for r in radii) + ")": table_rule}
        base = replay(d, None)
        lines.append(f"\n{path.stem} ({len(d['idx'])} images, {str(d['norm'])}, N = {int(d['looks'][-1])})")
        lines.append("rule | samples (mean) | fewer | ACR | Δ ACR | " + " | ".join(f"@{r:g}" for r in radii))
        for label, rule in rows.items():
            r = replay(d, rule)
            cert = [100 * np.mean(r["correct"] & (r["radius"] >= t)) for t in radii]
            lines.append(
                f"{label} | {r['samples'].mean():.0f} | {base['samples'].mean() / r['samples'].mean():.2f}× | "
                f"{r['radius'].mean():.3f} | {r['radius'].mean() - base['radius'].mean():+.3f} | "
                + " | ".join(f"{c:.0f}" for c in cert)
            )
    return "\n".join(lines)


def summary(tolerances) -> str:
    """One Markdown row per model and method: fewer samples (×) and the change in ACR for each rule, and
    for the table mode the largest change in certified accuracy at any of its radii (points)."""
    rules = {"abstain only": SequentialRule(tolerance=None)} | {
        f"tol. {t:g}": SequentialRule(tolerance=t) for t in tolerances
    }
    head = (
        "| model, method | abstain | fixed: ACR, s/image | "
        + " | ".join(f"{k}: fewer, Δ ACR" for k in rules)
        + " | table mode: fewer, largest Δ cert. acc. |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    total = {k: [0.0, 0.0] for k in [*rules, "table"]}
    for path in sorted(OUT.glob("*.npz")):
        d = np.load(path)
        radii = RADII[str(d["norm"])]
        base = replay(d, None)
        cells = []
        for k, rule in rules.items():
            r = replay(d, rule)
            total[k][0] += base["samples"].sum()
            total[k][1] += r["samples"].sum()
            fewer, gained = base["samples"].mean() / r["samples"].mean(), r["radius"].mean() - base["radius"].mean()
            cells.append(f"×{fewer:.2f}, {gained:+.3f}")
        t = replay(d, SequentialRule(radii=radii))
        total["table"][0] += base["samples"].sum()
        total["table"][1] += t["samples"].sum()
        worst = max(
            abs(np.mean(t["correct"] & (t["radius"] >= r)) - np.mean(base["correct"] & (base["radius"] >= r)))
            for r in radii
        )
        abstain, acr, secs = 100 * base["abstained"].mean(), base["radius"].mean(), base["seconds"].mean()
        lines.append(
            f"| {', '.join(path.stem.rsplit('.', 1))} | {abstain:.0f} % | {acr:.3f}, {secs:.2f} | "
            + " | ".join(cells)
            + f" | ×{base['samples'].mean() / t['samples'].mean():.2f}, {100 * worst:.1f} |"
        )
    lines.append(
        "| **all** | | | "
        + " | ".join(f"×{total[k][0] / total[k][1]:.2f}" for k in rules)
        + f" | ×{total['table'][0] / total['table'][1]:.2f} |"
    )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True)
    r = sub.add_parser("record")
    r.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    r.add_argument("--images", type=int, default=40)
    r.add_argument("--threads", type=int, default=1)
    q = sub.add_parser("report")
    q.add_argument("--tolerances", default="0.01,0.03,0.1")
    q.add_argument("--markdown", action="store_true", help="one summary row per model and method")
    a = p.parse_args()
    if a.step == "record":
        record(a.models, a.images, a.threads)
    else:
        tolerances = [float(t) for t in a.tolerances.split(",")]
        print(summary(tolerances) if a.markdown else report(tolerances))


if __name__ == "__main__":
    main()
