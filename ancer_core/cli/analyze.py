"""``analyze``: the paper's tables (certified accuracy, ACR, superset shares) from result files."""

from __future__ import annotations

from pathlib import Path

from ..core.validation import AncerInputError
from ..data.grid import envelope_table, load_grid, superset_rows
from ..data.results import accuracy_table, certified_accuracy, read_results, superset_table


def add_parser(sub) -> None:
    a = sub.add_parser("analyze", help="print certified accuracy (Tables 1/2) and superset shares (Tables 4/5)")
    a.add_argument("files", nargs="*", help="TSV files from `certify`")
    a.add_argument(
        "--grid",
        default=None,
        help="a results grid (one folder per model with fixed/isotropic-dd/ancer.tsv, e.g. results): the "
        "paper's Tables 1/2 across σ (top-1 over the σ grid), the per-σ tables and Tables 4/5",
    )
    a.add_argument("--radii", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5])
    a.add_argument(
        "--reference", default=None, help="file compared with the others in the superset table (default: the last file)"
    )
    a.set_defaults(run=run)


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
    print("Certified accuracy (%) at radius r (radius = min θ·gap, the largest enclosed isotropic ℓp ball);")
    print("ACR = mean radius·[correct]; ACR~ = mean proxy radius·[correct] (Tables 1/2)\n")
    print(accuracy_table(files, args.radii))
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
        raise AncerInputError(f"--grid {args.grid!r} is not a folder")
    grid = load_grid(folder)
    if not grid:
        raise AncerInputError(f"{args.grid} holds no model folder with fixed/isotropic-dd/ancer.tsv")
    for norm, table in (("l2", "Table 1"), ("l1", "Table 2")):
        models = [g for g in grid.values() if g.norm == norm]
        if not models:
            continue
        noise = "Gaussian" if norm == "l2" else "uniform"
        print(f"{table} ({noise} noise, ℓ{norm[1]} radius): certified accuracy (%), ACR, ACR~")
        print(envelope_table(models, args.radii) + "\n")
    print("Per σ (Appendix F)\n")
    for g in grid.values():
        m = next(iter(g.meta.values()))
        print(
            f"{g.name} (ℓ{g.norm[1]}, σ = {g.sigma:g}, N = {m.get('N')}, α = {m.get('alpha')}, "
            f"CERTIFY in {m.get('precision', 'fp32')})"
        )
        print(accuracy_table(g.tables, args.radii) + "\n")
    rows = superset_rows(list(grid.values()))
    if rows:
        print("Tables 4/5: % of the images where ANCER's certificate is the best of the three methods")
        print("model".ljust(24) + "   ℓp best  ℓp^Θ best  region ⊇ isotropic  images")
        for r in rows:
            shares = f"{100 * r['best_radius']:10.1f}{100 * r['best_proxy']:11.1f}{100 * r['superset']:20.1f}"
            print(r["model"][:23].ljust(24) + shares + f"{r['images']:8d}")
    return 0
