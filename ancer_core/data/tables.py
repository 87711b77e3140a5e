"""The paper's tables from result files: certified accuracy at radii and ACR (Tables 1/2, Figures 3/4), the
images every file certified, and how often one method's region is a superset of the others' (Tables 4/5)."""

from __future__ import annotations

import numpy as np

from .results import Table


def certified(t: Table, radii, column: str = "radius") -> np.ndarray:
    """Per radius r and image: correctly classified with ``column`` ≥ r (shape: radii × images)."""
    return t["correct"].astype(bool) & (t[column] >= np.asarray(radii, dtype=float)[:, None])


def certified_accuracy(t: Table, radii, column: str = "radius") -> np.ndarray:
    """Share of images correctly classified with ``column`` ≥ r, for each r."""
    return certified(t, radii, column).mean(axis=1)


def average_certified_radius(t: Table, column: str = "radius") -> float:
    """ACR (or AC R̃ for ``radius_proxy``): mean over all images of radius·[correct]."""
    return float(np.mean(t[column] * t["correct"]))


def accuracy_rows(files: dict[str, Table], radii, acr: bool = True) -> list[dict]:
    """Paper Tables 1/2 as rows: per file its images, certified accuracy (%) at each ℓp radius
    (keys ``@r``), ACR and AC R̃ (not with ``acr=False``: table-mode files, ``records.shown_radii``)."""
    rows = []
    for name, t in files.items():
        row = {"method": name, "images": len(t)}
        row |= {f"@{r:g}": 100 * a for r, a in zip(radii, certified_accuracy(t, radii))}
        if acr:
            row |= {"ACR": average_certified_radius(t), "AC R̃": average_certified_radius(t, "radius_proxy")}
        rows.append(row)
    return rows


def accuracy_table(files: dict[str, Table], radii, acr: bool = True) -> str:
    """Paper Tables 1/2: certified accuracy (%) at ℓp radii, ACR and AC R̃ per file (as text)."""
    head = "method".ljust(28) + "".join(f"{r:>8g}" for r in radii) + ("     ACR    ACR~" if acr else "") + "  images"
    lines = [head, "-" * len(head)]
    for row in accuracy_rows(files, radii, acr):
        lines.append(
            row["method"][:27].ljust(28)
            + "".join(f"{row[f'@{r:g}']:8.1f}" for r in radii)
            + (f"{row['ACR']:8.3f}{row['AC R̃']:8.3f}" if acr else "")
            + f"{row['images']:8d}"
        )
    return "\n".join(lines)


def common_indices(tables) -> np.ndarray:
    """Sorted image indices present in every table."""
    common = None
    for t in tables:
        s = set(int(i) for i in t["idx"])
        common = s if common is None else common & s
    return np.array(sorted(common or ()), dtype=int)


def restrict(t: Table, idx: np.ndarray) -> Table:
    """The rows of ``t`` for the images ``idx`` (all must be present), in that order."""
    row = {int(i): k for k, i in enumerate(t["idx"])}
    take = np.array([row[int(i)] for i in idx], dtype=int)
    return Table({k: v[take] for k, v in t.columns.items()})


def superset_shares(files: dict[str, Table], reference: str) -> dict:
    """Paper Tables 4/5 on the images common to all files: the share where ``reference`` has the
    largest ℓp radius (``best_radius``, "ℓp is the best") and the largest proxy radius
    (``best_proxy``, "ℓp^Θ is the best") among all files, and the share where its region is a
    superset (Definition 1) of every isotropic file's region (``superset``) — exact for isotropic
    competitors: a ball of radius R lies in the region iff R ≤ min θ·gap."""
    idx = common_indices(files.values())
    if not len(idx):
        return {
            "images": 0,
            "compared_with": [],
            "best_radius": float("nan"),
            "best_proxy": float("nan"),
            "superset": float("nan"),
        }

    ref = restrict(files[reference], idx)
    others = [n for n in files if n != reference]
    best_r = np.ones(len(idx), bool)
    best_p = np.ones(len(idx), bool)
    sup = np.ones(len(idx), bool)
    r_ref, p_ref, pred_ref = ref["radius"], ref["radius_proxy"], ref["predict"]
    for n in others:
        t = restrict(files[n], idx)
        best_r &= r_ref >= t["radius"] - 1e-12
        best_p &= p_ref >= t["radius_proxy"] - 1e-12
        iso = np.isclose(t["radius"], t["radius_proxy"])
        same = (pred_ref == t["predict"]) | (t["radius"] <= 0)
        sup &= ~iso | (same & (r_ref >= t["radius"] - 1e-12))
    return {
        "images": len(idx),
        "compared_with": others,
        "best_radius": float(best_r.mean()),
        "best_proxy": float(best_p.mean()),
        "superset": float(sup.mean()),
    }


def superset_table(files: dict[str, Table], reference: str) -> str:
    """:func:`superset_shares` as text."""
    s = superset_shares(files, reference)
    if not s["images"]:
        return "no image is common to all files"
    lines = [
        f"reference: {reference}   compared with: {', '.join(s['compared_with'])}   images: {s['images']}",
        f"% {reference} ℓp radius is the best            {100 * s['best_radius']:6.1f}",
        f"% {reference} proxy radius (ℓp^Θ) is the best  {100 * s['best_proxy']:6.1f}",
        f"% {reference} region ⊇ every isotropic region  {100 * s['superset']:6.1f}  (Definition 1, exact)",
    ]
    return "\n".join(lines)


def samples_rows(files: dict[str, Table], n: int | None = None) -> list[dict]:
    """The estimation samples each sequential run drew per image (its ``samples`` column): mean, median,
    smallest and largest, and — given fixed sampling's ``n`` — how many times fewer; files without the
    column (fixed N: every image drew N) are left out."""
    rows = []
    for name, t in files.items():
        if "samples" not in t.columns or not len(t):
            continue
        s = t["samples"]
        row = {"file": name, "images": len(s), "mean": float(s.mean()), "median": float(np.median(s))}
        row |= {"min": int(s.min()), "max": int(s.max()), "total": int(s.sum())}
        if n is not None:
            row["× fewer than N"] = n / max(float(s.mean()), 1.0)
        rows.append(row)
    return rows


def samples_table(files: dict[str, Table]) -> str:
    """:func:`samples_rows` as text (empty when no file is sequential)."""
    rows = samples_rows(files)
    if not rows:
        return ""
    lines = ["Estimation samples drawn (sequential sampling), per image: mean, median, min–max"]
    for r in rows:
        lines.append(f"{r['file'][:27].ljust(28)}{r['mean']:10,.0f}{r['median']:10,.0f}{r['min']:10,}–{r['max']:,}")
    return "\n".join(lines)
