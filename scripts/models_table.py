"""Write the table of shipped models in docs/models.md from their cards (so the README quotes measured figures).

python scripts/models_table.py            # rewrites the table between the markers in docs/models.md
"""

import re
from pathlib import Path

from ancer_core.core.noise import noise_for
from ancer_core.models import shipped_models


def _cap(card: dict, ev: dict) -> float:
    """The largest radius CERTIFY can return at this N and α (all N samples on the top class)."""
    return card["theta"] * float(noise_for(card["norm"]).gap(ev["alpha"] ** (1 / ev["N"])))


def table() -> str:
    cards = shipped_models()
    rows = [
        "| model | noise | σ (std) | θ | epochs | train time (2-core CPU) | clean acc. (base) | smoothed acc. | "
        "cert. acc. r=0.25 | r=0.5 | r=1.0 | ACR | largest certifiable radius at this N |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in cards.items():
        ev = c["evaluation"]
        ca = ev["certified_accuracy"]
        rows.append(
            f"| `{name}` | {c['noise']} | {c['sigma']:.2f} | {c['theta']:.3f} | {c['training']['epochs']} | "
            f"{c['wall_time_s'] / 60:.0f} min | {100 * ev['clean_accuracy_base']:.1f} % | "
            f"{100 * ev['smoothed_accuracy']:.1f} % | {100 * ca['0.25']:.1f} % | {100 * ca['0.5']:.1f} % | "
            f"{100 * ca['1']:.1f} % | {ev['ACR']:.3f} | {_cap(c, ev):.3f} |"
        )
    larger = {n: c["evaluation_larger_n"] for n, c in cards.items() if "evaluation_larger_n" in c}
    if larger:
        rows += [
            "",
            "Evaluated again at a larger N (same 500 images, α = 0.001; `scripts/evaluate_shipped.py`):",
            "",
            "| model | N0 / N | smoothed acc. | abstain | cert. acc. r=0.25 | r=0.5 | r=0.75 | r=1.0 | ACR | "
            "largest certifiable radius at this N |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, ev in larger.items():
            ca = ev["certified_accuracy"]
            rows.append(
                f"| `{name}` | {ev['N0']} / {ev['N']:,} | {100 * ev['smoothed_accuracy']:.1f} % | "
                f"{100 * ev['abstain_rate']:.1f} % | {100 * ca['0.25']:.1f} % | {100 * ca['0.5']:.1f} % | "
                f"{100 * ca['0.75']:.1f} % | {100 * ca['1']:.1f} % | {ev['ACR']:.3f} | {_cap(cards[name], ev):.3f} |"
            )
    return "\n".join(rows)


readme = Path(__file__).resolve().parent.parent / "docs" / "models.md"
text = readme.read_text()
new = re.sub(
    r"<!-- models-table -->.*?<!-- /models-table -->",
    lambda m: "<!-- models-table -->\n" + table() + "\n<!-- /models-table -->",
    text,
    flags=re.S,
)
readme.write_text(new)
print(table())
