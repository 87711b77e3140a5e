"""Two grids' data-dependent certificates compared on every model, as run and with memory: by
default the paper's objective (baseline) against the library's default (candidate).

    python scripts/compare_objectives.py [--baseline results/paper-objective] [--candidate results] \\
        [--out results/paper-objective/comparison.json] [--doc docs/results.md]
    python scripts/compare_objectives.py --candidate results/remedies/temperature-iso \\
        --methods isotropic-dd --names "paper's" "paper's + fitted T" --marker temperature-comparison …

For each model with the ``--methods`` files on both sides: the images both sides hold (fixed σ
from the baseline folder, else the candidate's: it optimizes nothing, so the objective does not
touch it), each file cut to those images *before* the memory replay, so that both memories see the
same images in the same order. For each reading and method: certified accuracy (%) at r = 0, 0.25,
0.5, 1.0 and ACR; the paired difference candidate − baseline with its 95 % bootstrap interval (as
``scripts/compare_paired.py``); and the target of the default objective, read with memory: each
data-dependent method certifies at r = 0 no fewer images than fixed σ minus 1 point, and ACR
orders ANCER ≥ Isotropic DD ≥ fixed σ (the ordering only when both methods are compared).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_paired import compare  # noqa: E402
from doc_markers import between_markers  # noqa: E402

from ancer_core.core import OPTIMIZED  # noqa: E402
from ancer_core.data import THETA_FOLDER, Table, read_results, replay_memory, settings_path, theta_source  # noqa: E402
from ancer_core.data.tables import average_certified_radius, certified_accuracy  # noqa: E402

RADII = (0.0, 0.25, 0.5, 1.0)
DATA_DEPENDENT = OPTIMIZED
MARKER = "objectives-comparison"


def _subset(table: Table, keep: np.ndarray) -> Table:
    """The rows of ``table`` whose image is in ``keep``, in the file's (certification) order."""
    mask = np.isin(table["idx"], keep)
    return Table({k: v[mask] for k, v in table.columns.items()})


def _side(path: Path, whole: Table, keep: np.ndarray, images: np.ndarray | None) -> Table:
    """The file's rows (``whole``, read from ``path``) on the images ``keep``; with ``images``, their
    memory reading."""
    table = _subset(whole, keep)
    if images is None:
        return table
    meta = json.loads(settings_path(path).read_text())
    method = path.stem
    return replay_memory(table, meta, images, theta_source(method, meta, table, path.parent / THETA_FOLDER))


def _summary(t: Table) -> dict:
    return {"certified": (100 * certified_accuracy(t, RADII)).round(1).tolist(), "acr": average_certified_radius(t)}


def compare_model(base: Path, cand: Path, images: np.ndarray, methods: tuple[str, ...] = DATA_DEPENDENT) -> dict | None:
    """Both sides on the images both hold, as run and with memory (see the module's docstring); None
    when they hold none in common yet."""
    fixed_dir = base if (base / "fixed.tsv").is_file() else cand  # fixed σ optimizes nothing: either side's
    files = [fixed_dir / "fixed.tsv"] + [d / f"{m}.tsv" for d in (base, cand) for m in methods]
    tables = {f: read_results(f) for f in files}
    common = tables[files[0]]["idx"]
    for f in files[1:]:
        common = np.intersect1d(common, tables[f]["idx"])
    if not len(common):
        return None
    out = {"images": int(len(common)), "radii": list(RADII), "methods": list(methods), "readings": {}}
    for reading, imgs in (("as run", None), ("with memory", images)):
        side = {f: _side(f, t, common, imgs) for f, t in tables.items()}
        r = {"fixed": _summary(side[files[0]])}
        for m in methods:
            b, c = side[base / f"{m}.tsv"], side[cand / f"{m}.tsv"]
            r[m] = {"baseline": _summary(b), "candidate": _summary(c), "paired": compare(b, c, RADII)}
        d = {m: r[m]["candidate"] for m in methods}
        r["target"] = {
            "r0_no_fewer_than_fixed_minus_1pt": all(
                d[m]["certified"][0] >= r["fixed"]["certified"][0] - 1 for m in methods
            ),
            "acr_ancer_ge_iso_ge_fixed": (
                d["ancer"]["acr"] >= d["isotropic-dd"]["acr"] >= r["fixed"]["acr"]
                if set(DATA_DEPENDENT) <= set(methods)
                else None
            ),
        }
        out["readings"][reading] = r
    return out


LABELS = {"isotropic-dd": "Iso DD", "ancer": "ANCER"}


def table_lines(results: dict, names: tuple[str, str] = ("paper", "default")) -> list[str]:
    """A Markdown table: per model and reading, r = 0 (%) and ACR of fixed σ and both sides (``names``),
    with the paired interval of candidate − baseline."""
    methods = next(iter(results.values())).get("methods", DATA_DEPENDENT)
    head = "".join(f" {LABELS[m]} {names[0]} → {names[1]}, r=0 | ACR |" for m in methods)
    lines = [
        f"| model | images | reading | fixed σ r=0 / ACR |{head} target |",
        "|---|---|---|---|" + "---|---|" * len(methods) + "---|",
    ]
    for model, res in results.items():
        for reading, r in res["readings"].items():
            f = r["fixed"]
            cells = [model, str(res["images"]), reading, f"{f['certified'][0]:.0f} / {f['acr']:.3f}"]
            for m in methods:
                p, d = r[m]["baseline"], r[m]["candidate"]
                lo, hi = r[m]["paired"]["acr"]["ci95"]
                cells += [
                    f"{p['certified'][0]:.0f} → {d['certified'][0]:.0f}",
                    f"{p['acr']:.3f} → {d['acr']:.3f} [{lo:+.3f}, {hi:+.3f}]",
                ]
            t, order = r["target"], r["target"]["acr_ancer_ge_iso_ge_fixed"]
            cells.append(
                ("r=0 ✓" if t["r0_no_fewer_than_fixed_minus_1pt"] else "r=0 ✗")
                + ("" if order is None else ", order ✓" if order else ", order ✗")
            )
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", default="results/paper-objective", help="the grid made with the paper's objective")
    p.add_argument("--candidate", default="results", help="the grid made with the default objective")
    p.add_argument("--methods", nargs="+", default=list(DATA_DEPENDENT), choices=DATA_DEPENDENT)
    p.add_argument("--names", nargs=2, default=["paper", "default"], help="the two sides' names in the table")
    p.add_argument("--out", help="also write the comparison as JSON")
    p.add_argument("--doc", help="also write the table into this Markdown file, between the --marker's markers")
    p.add_argument("--marker", default=MARKER, help="<!-- MARKER --> … <!-- /MARKER --> in --doc")
    a = p.parse_args(argv)
    methods = tuple(a.methods)
    import ancer_core as ac

    images = ac.load_cifar10("test")[0].numpy()
    results = {}
    for folder in sorted(Path(a.candidate).iterdir()):
        base = Path(a.baseline) / folder.name
        if all((d / f"{m}.tsv").is_file() for d in (folder, base) for m in methods):
            res = compare_model(base, folder, images, methods)
            if res is None:
                print(f"{folder.name}: no image in both grids yet", file=sys.stderr)
            else:
                results[folder.name] = res
    if not results:
        sys.exit(f"no model has {' and '.join(methods)} files in both {a.baseline}/ and {a.candidate}/")
    body = "\n".join(table_lines(results, tuple(a.names)))
    print(body)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=2) + "\n")
        print("wrote", a.out)
    if a.doc:
        Path(a.doc).write_text(between_markers(Path(a.doc).read_text(), a.marker, body, a.doc))
        print("wrote", a.doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
