"""Two models' certificates compared image by image: certified accuracy and ACR, with paired intervals.

    python scripts/compare_paired.py --baseline results/model-cards/small-gaussian-0.50.fp32.tsv \\
        --candidate results/ablations/consistency-gaussian-0.50.*.tsv [--out FILE.json]

Each side is one or more ``certify`` result files (the parts of one run split by ``--indices``);
only the images both sides hold are compared, and the two runs must share norm, σ, N0, N, α, seed
and precision (a difference in any of them would be read as a difference between the models).
For every radius: both certified accuracies, their difference in points, and a 95 % interval on
that difference from a paired bootstrap over images (scipy's BCa, 10,000 resamples, seeded): an
interval that spans 0 means no difference was measured on these images. ACR and AC R̃ likewise, also as
a share of the baseline's (the difference and its interval over the baseline's mean), and the images that
lose or gain a certificate (certified with the right class on one side, not on the other).

``--memory`` compares the memory-based reading of both sides: each side (one file, a whole run in
certification order) replayed with memory-based certification (``ancer_core.data.replay_memory``; θ
from the run's ``--thetas`` folder or the grid's ``ancer-thetas`` beside the file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import bootstrap

from ancer_core.data import THETA_FOLDER, Table, certified, read_results, replay_memory, settings_path, theta_source

RADII = (0.0, 0.25, 0.5, 0.75, 1.0)
SAME = ("norm", "sigma", "N0", "N", "alpha", "seed", "precision")


def with_memory(path: str, table: Table, meta: dict) -> Table:
    """The memory-based reading of one run's file (see the module's docstring)."""
    import ancer_core as ac

    method = meta.get("method", "fixed")
    folder = meta.get("thetas") or Path(path).parent / THETA_FOLDER
    return replay_memory(table, meta, ac.load_cifar10("test")[0].numpy(), theta_source(method, meta, table, folder))


def load_side(files: list[str], memory: bool = False) -> tuple[Table, dict]:
    """The rows of every part, one per image (parts may overlap); the settings the parts share.
    ``memory``: the memory-based reading (a side must then be one file: the memory follows one run's order)."""
    if memory and len(files) > 1:
        sys.exit("--memory replays one run in its certification order: give one file per side")
    tables, settings = [], None
    for f in files:
        meta_file = settings_path(f)
        if not meta_file.is_file():
            sys.exit(f"{f} has no settings file beside it ({meta_file.name}); compare files written by certify")
        meta = json.loads(meta_file.read_text())
        these = {k: meta.get(k) for k in SAME}
        if settings is not None and these != settings:
            sys.exit(f"{f} was made with other settings than the files before it: {these} vs {settings}")
        settings = these
        tables.append(with_memory(f, read_results(f), meta) if memory else read_results(f))
    joined = {k: np.concatenate([t[k] for t in tables]) for k in ("idx", "radius", "radius_proxy", "correct")}
    _, first = np.unique(joined["idx"], return_index=True)  # one row per image, sorted by index
    return Table({k: v[first] for k, v in joined.items()}), settings


def paired_difference(per_image: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean of the per-image differences and its 95 % paired-bootstrap (BCa) interval."""
    if np.all(per_image == per_image[0]):  # no spread: the bootstrap distribution is a point
        return float(per_image[0]), float(per_image[0]), float(per_image[0])
    ci = bootstrap(
        (per_image,), np.mean, n_resamples=10_000, confidence_level=0.95, method="BCa", random_state=seed
    ).confidence_interval
    return float(per_image.mean()), float(ci.low), float(ci.high)


def compare(base: Table, cand: Table, radii=RADII) -> dict:
    """Certified accuracy (%) at each radius and ACR for both sides on the images both hold."""
    common, ib, ic = np.intersect1d(base["idx"], cand["idx"], return_indices=True)
    if not len(common):
        raise ValueError("the two sides hold no image in common")
    b, c = (
        Table({k: t[k][i] for k in ("idx", "radius", "radius_proxy", "correct")}) for t, i in ((base, ib), (cand, ic))
    )
    out = {"images": len(common), "radii": list(radii), "rows": []}
    for r, on_b, on_c in zip(radii, 100.0 * certified(b, radii), 100.0 * certified(c, radii)):
        d, lo, hi = paired_difference(on_c - on_b)
        out["rows"].append(
            {"radius": r, "baseline": on_b.mean(), "candidate": on_c.mean(), "difference": d, "ci95": [lo, hi]}
        )
    for key, column in (("acr", "radius"), ("acr_proxy", "radius_proxy")):
        on_b, on_c = b[column] * b["correct"], c[column] * c["correct"]  # ACR's (AC R̃'s) per-image terms
        d, lo, hi = paired_difference(on_c - on_b)
        out[key] = {"baseline": on_b.mean(), "candidate": on_c.mean(), "difference": d, "ci95": [lo, hi]}
        if on_b.mean() > 0:  # the same interval as a share of the baseline's mean
            out[key]["relative_pct"] = [100.0 * v / on_b.mean() for v in (d, lo, hi)]
    held_b, held_c = (t["correct"].astype(bool) & (t["radius"] > 0) for t in (b, c))
    out["lost"] = [int(i) for i in common[held_b & ~held_c]]  # a certificate of the right class, then none
    out["gained"] = [int(i) for i in common[held_c & ~held_b]]
    return out


def _line(label: str, base: float, cand: float, diff: float, ci: list[float], digits: int) -> str:
    d = digits
    return f"{label:>7} {base:>9.{d}f} {cand:>10.{d}f} {diff:>+7.{d}f}   [{ci[0]:+.{d}f}, {ci[1]:+.{d}f}]"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", nargs="+", required=True, help="result file(s) of the reference model")
    p.add_argument("--candidate", nargs="+", required=True, help="result file(s) of the model compared with it")
    p.add_argument("--out", help="also write the comparison as JSON")
    p.add_argument("--memory", action="store_true", help="compare the memory-based readings of both sides")
    a = p.parse_args(argv)
    base, sb = load_side(a.baseline, a.memory)
    cand, sc = load_side(a.candidate, a.memory)
    differ = {k: (sb[k], sc[k]) for k in SAME if sb[k] != sc[k]}
    if differ:
        sys.exit(f"the two runs differ in {differ}; certify both with the same settings")
    try:
        res = compare(base, cand)
    except ValueError as e:
        sys.exit(str(e))
    res.update(settings=sb, baseline=a.baseline, candidate=a.candidate, reading="with memory" if a.memory else "as run")
    print(f"{res['images']} images in common; {sb['norm']} radius; N0 = {sb['N0']}, N = {sb['N']}, α = {sb['alpha']}")
    print(f"{'radius':>7} {'baseline':>9} {'candidate':>10} {'diff':>7}   95 % paired bootstrap")
    for row in res["rows"]:
        print(_line(f"{row['radius']:g}", row["baseline"], row["candidate"], row["difference"], row["ci95"], 1))
    for key, label in (("acr", "ACR"), ("acr_proxy", "ACR~")):
        acr = res[key]
        rel = acr.get("relative_pct")
        share = "" if rel is None else f"   {rel[0]:+.2f} % [{rel[1]:+.2f}, {rel[2]:+.2f}] of the baseline's"
        print(_line(label, acr["baseline"], acr["candidate"], acr["difference"], acr["ci95"], 3) + share)
    for key, words in (("lost", "lose their certificate"), ("gained", "gain one")):
        shown = ", ".join(map(str, res[key][:20])) + (" …" if len(res[key]) > 20 else "")
        print(f"{len(res[key])} image(s) {words}" + (f": {shown}" if res[key] else ""))
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        print("wrote", a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
