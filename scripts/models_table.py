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
        "| model | arch | noise | σ (std) | training | train time (2-core CPU) | clean acc. (base) | smoothed acc. | "
        "cert. acc. r=0.25 | r=0.5 | r=1.0 | ACR | N0 / N | largest certifiable radius at this N |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in cards.items():
        ev = c["evaluation"]
        ca = ev["certified_accuracy"]
        tr = c["training"]
        start = f"fine-tuned from `{Path(tr['init_from']).stem}`" if tr.get("init_from") else "from scratch"
        rows.append(
            f"| `{name}` | {c['arch']} | {c['noise']} | {c['sigma']:.2f} | {tr['epochs']} epochs, {start} | "
            f"{c['wall_time_s'] / 60:.0f} min | {100 * ev['clean_accuracy_base']:.1f} % | "
            f"{100 * ev['smoothed_accuracy']:.1f} % | {100 * ca['0.25']:.1f} % | {100 * ca['0.5']:.1f} % | "
            f"{100 * ca['1']:.1f} % | {ev['ACR']:.3f} | {ev['N0']} / {ev['N']:,} | {_cap(c, ev):.3f} |"
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
