"""``analyze``: the paper's tables (certified accuracy, ACR, superset shares) from result files."""

from __future__ import annotations

from pathlib import Path

from ..core.validation import AncerInputError
from ..data.results import accuracy_table, certified_accuracy, read_results, superset_table


def add_parser(sub) -> None:
    a = sub.add_parser("analyze", help="print certified accuracy (Tables 1/2) and superset shares (Tables 4/5)")
    a.add_argument("files", nargs="+", help="TSV files from `certify`")
    a.add_argument("--radii", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5])
    a.add_argument(
        "--reference", default=None, help="file compared with the others in the superset table (default: the last file)"
    )
    a.set_defaults(run=run)


def run(args) -> int:
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
