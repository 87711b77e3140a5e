"""``analyze``: the paper's tables (certified accuracy, ACR, superset shares) from result files."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..core.validation import AncerInputError
from ..data.cifar10 import load_cifar10
from ..data.grid import envelope_table, in_table_mode, load_grid, models_by_table, superset_rows
from ..data.memory_replay import grid_with_memory, revised_rows
from ..data.records import read_settings, sampling_words, shown_radii, table_mode_words
from ..data.results import read_results
from ..data.tables import accuracy_table, certified_accuracy, samples_table, superset_table


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("files", nargs="*", help="TSV files from `certify`")
    a.add_argument(
        "--grid",
        default=None,
        help="a results grid (one folder per model with fixed/isotropic-dd/ancer.tsv, e.g. results): the "
        "paper's Tables 1/2 across σ (top-1 over the σ grid), the per-σ tables and Tables 4/5",
    )
    a.add_argument("--radii", type=radius, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5])
    a.add_argument(
        "--reference", default=None, help="file compared with the others in the superset table (default: the last file)"
    )


def radius(text: str) -> float:
    """One --radii value: a finite number ≥ 0."""
    try:
        r = float(text)
    except ValueError:
        r = float("nan")
    if not (np.isfinite(r) and r >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give finite radii ≥ 0, e.g. --radii 0 0.25 0.5")
    return r


def run(args) -> int:
    if args.grid:
        return run_grid(args)
    if not args.files:
        raise AncerInputError("give result files (TSV from `certify`) or --grid FOLDER")
    files = {}
    for f in args.files:
        key = Path(f).stem
        while key in files:
            key += "'"
        files[key] = read_results(f)
        if not len(files[key]):
            raise AncerInputError(f"{f} holds no rows yet (only its header); give a file `certify` has written rows to")
    metas = [read_settings(f) for f in args.files]
    radii, acr = shown_radii(args.radii, metas)
    print(
        "Certified accuracy (%) at radius r (radius = min θ·gap, the largest enclosed isotropic ℓp ball)"
        + (";" if acr else "")
    )
    print("ACR = mean radius·[correct]; ACR~ = mean proxy radius·[correct] (Tables 1/2)\n" if acr else "")
    print(accuracy_table(files, radii, acr))
    if not acr:  # table mode: only the radii it decided mean what fixed sampling's would
        print(table_mode_words(metas))
    spent = samples_table(files)
    if spent:  # sequential runs: what they drew
        print("\n" + spent)
    if not acr:
        return 0
    print("\nCertified accuracy (%) at proxy radius R~ (volume-based, §5)\n")
    head = "method".ljust(28) + "".join(f"{r:>8g}" for r in args.radii)
    print(head + "\n" + "-" * len(head))
    for n, t in files.items():
        print(n[:27].ljust(28) + "".join(f"{100 * a:8.1f}" for a in certified_accuracy(t, args.radii, "radius_proxy")))
    if len(files) > 1:
        ref = Path(args.reference).stem if args.reference else list(files)[-1]
        if ref not in files:
            raise AncerInputError(f"--reference {args.reference!r} is not one of the files")
        print("\nSuperset analysis (Tables 4/5)\n")
        print(superset_table(files, ref))
    return 0


def run_grid(args) -> int:
    folder = Path(args.grid)
    if not folder.is_dir():
        raise AncerInputError(f"--grid {args.grid!r} is not a folder; give the folder with one folder per model")
    grid = load_grid(folder)
    if not grid:
        raise AncerInputError(f"{args.grid} holds no model folder with fixed/isotropic-dd/ancer.tsv")
    images = load_cifar10("test")[0].numpy()
    readings = {"as run": grid, "with memory": {n: grid_with_memory(g, images) for n, g in grid.items()}}
    print(
        "Two readings of every file: as run (each certificate on its own), and with memory-based certification "
        "(Alfarra et al.; the paper's abstract): each run's certificates replayed in certification order, so that "
        "no two regions of different classes overlap (no new sampling; fixed σ is one smoothed classifier and "
        "keeps its certificates).\n"
    )
    for reading, models in readings.items():
        for t, ms in models_by_table(models):
            what = "certified accuracy (%)" + ("" if any(in_table_mode(g) for g in ms) else ", ACR, ACR~")
            print(f"{t.table} ({t.noise} noise, ℓ{t.norm[1]} radius), {reading}: {what}")
            print(envelope_table(ms, args.radii) + "\n")
    print("Per σ (Appendix F), as run and with memory\n")
    for name, g in grid.items():
        m = next(iter(g.meta.values()))
        print(
            f"{g.name} (ℓ{g.norm[1]}, σ = {g.sigma:g}, {sampling_words(m)}, α = {m.get('alpha')}, "
            f"CERTIFY in {m.get('precision', 'fp32')}"
            + (f"; the optimizers maximised {g.surrogate})" if g.surrogate else ")")
        )
        mem = readings["with memory"][name]
        both = {f"{k} (as run)": v for k, v in g.tables.items()} | {f"{k} (memory)": v for k, v in mem.tables.items()}
        radii, acr = shown_radii(args.radii, g.meta.values())
        print(accuracy_table(both, radii, acr))
        counts = ", ".join(f"{k} {int(revised_rows(g.tables[k], mem.tables[k]).sum())}" for k in g.tables)
        print(f"certificates the memory revises: {counts}")
        spent = samples_table(g.tables)
        print(("\n" + spent + "\n") if spent else "")
    left = [g.name for g in grid.values() if in_table_mode(g)]
    if left:
        print(f"Tables 4/5 leave out {', '.join(left)}: in table mode the radii they compare are lower bounds.\n")
    for reading, models in readings.items():
        rows = superset_rows(list(models.values()))
        if rows:
            print(f"Tables 4/5, {reading}: % of the images where ANCER's certificate is the best of the three methods")
            print("model".ljust(24) + "   ℓp best  ℓp^Θ best  region ⊇ isotropic  images")
            for r in rows:
                shares = f"{100 * r['best_radius']:10.1f}{100 * r['best_proxy']:11.1f}{100 * r['superset']:20.1f}"
                print(r["model"][:23].ljust(24) + shares + f"{r['images']:8d}")
            print()
    return 0
