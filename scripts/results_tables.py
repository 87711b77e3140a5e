"""Write the results grid's tables into docs/results.md (between the markers), from the files in results/.

    python scripts/results_tables.py [--grid results]

Tables 1/2 across σ (top-1 over the σ grid on the images every model certified with every method),
then one row per model, on the images all three of its methods certified, with the paper's
ordering checks: ACR of ANCER ≥ Isotropic DD ≥ fixed σ, ANCER's AC R̃ against its ACR, and the
superset shares of Tables 4/5 — as run, then with memory-based certification replayed over the
same files (``ancer_core.data.grid_with_memory``).
"""

import argparse
from pathlib import Path

from doc_markers import between_markers

import ancer_core as ac
from ancer_core.data import (
    average_certified_radius,
    envelopes,
    grid_with_memory,
    load_grid,
    models_by_table,
    revised_rows,
    superset_shares,
)
from ancer_core.data.tables import common_indices, restrict

ROOT = Path(__file__).resolve().parents[1]
RADII = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
METHODS = ac.METHODS


def tables(grid) -> str:
    out = []
    for paper, models in models_by_table(grid):
        title = f"{paper.table} ({paper.noise} noise, ℓ{paper.norm[1]} radius)"
        envs = envelopes(models, RADII)
        sigmas = ", ".join(f"{g.sigma:g}" for g in models)
        out += [
            f"**{title}**, top-1 across σ ∈ {{{sigmas}}} on the {next(iter(envs.values())).images} test images "
            "every model certified with every method (certified accuracy in %; ACR and AC R̃ of the best σ):",
            "",
            "| method | " + " | ".join(f"r = {r:g}" for r in RADII) + " | ACR | AC R̃ |",
            "|---" * (len(RADII) + 3) + "|",
        ]
        for m, e in envs.items():
            cells = " | ".join(f"{100 * a:.1f}" for a in e.accuracy)
            out.append(f"| {m} | {cells} | {e.acr:.3f} | {e.acr_proxy:.3f} |")
        out.append("")
    out += [
        "**Per model**: the paper's ordering and Tables 4/5 (the paper: 83 % / 93 % for Cohen et al.'s CIFAR-10 "
        "models, 100 % / 100 % for RS4A's):",
        "",
        "| model | images | ACR fixed / Iso DD / ANCER | ANCER ≥ Iso DD ≥ fixed | ANCER AC R̃ / ACR | "
        "% ANCER ℓp best | % ANCER ℓp^Θ best | % ANCER region ⊇ isotropic | CERTIFY |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in grid.values():
        if not all(m in g.tables for m in METHODS):
            continue
        same = common_indices(g.tables.values())  # the three methods on the same images
        acr = [average_certified_radius(restrict(g.tables[m], same)) for m in METHODS]
        proxy = average_certified_radius(restrict(g.tables["ancer"], same), "radius_proxy")
        s = superset_shares(g.tables, "ancer")
        meta = g.meta["ancer"]
        out.append(
            f"| `{g.name}` | {s['images']} | {' / '.join(f'{a:.3f}' for a in acr)} | "
            f"{'yes' if acr[2] >= acr[1] >= acr[0] else 'no'} | {proxy:.3f} / {acr[2]:.3f} (×{proxy / acr[2]:.2f}) | "
            f"{100 * s['best_radius']:.0f} | {100 * s['best_proxy']:.0f} | {100 * s['superset']:.0f} | "
            f"N = {meta.get('N'):,}, {meta.get('precision', 'fp32')} |"
        )
    return "\n".join(out)


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--grid", default="results")
a = p.parse_args()
grid = load_grid(ROOT / a.grid)  # folders without method files (results/model-cards) are not models
memory = {n: grid_with_memory(g, ac.load_cifar10("test")[0].numpy()) for n, g in grid.items()}
revised = "; ".join(
    f"`{n}`: " + ", ".join(f"{m} {int(revised_rows(g.tables[m], memory[n].tables[m]).sum())}" for m in g.tables)
    for n, g in grid.items()
)
with_memory = (
    "**With memory-based certification**, replayed over the same files in certification order (no new "
    f"sampling). Certificates the memory revises: {revised}.\n\n" + tables(memory)
)
doc = ROOT / "docs" / "results.md"
text = doc.read_text()
as_run = tables(grid)
for marker, body in (("results-tables", as_run), ("results-tables-memory", with_memory)):
    if f"<!-- {marker} -->" not in text:
        text = text.replace(
            "<!-- /results-tables -->", f"<!-- /results-tables -->\n\n<!-- {marker} -->\n<!-- /{marker} -->"
        )
    text = between_markers(text, marker, body, doc)
doc.write_text(text)
print(as_run + "\n\n" + with_memory)
