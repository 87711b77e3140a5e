"""Write the table of shipped models in docs/models.md from their cards (so the README quotes measured figures).

python scripts/models_table.py            # rewrites the table between the markers in docs/models.md
"""

from pathlib import Path

from doc_markers import between_markers

from ancer_core.core.noise import noise_for
from ancer_core.models import shipped_models


def _cap(card: dict, ev: dict) -> float:
    """The largest radius CERTIFY can return at this N and α (all N samples on the top class)."""
    return card["theta"] * float(noise_for(card["norm"]).gap(ev["alpha"] ** (1 / ev["N"])))


# Lowest acceptable figures (%): smoothed accuracy and certified accuracy at ℓ2 radius 0.25 / 0.5 / 1.0 —
# the published CERTIFY output of Cohen et al.'s ResNet-110 (N = 100,000, 500 images) minus 5 points
FLOORS = {0.25: (74, 60, 44, 0), 0.5: (61, 49, 40, 20), 1.0: (44, 35, 30, 20)}


def target(name: str, cards: dict) -> str:
    """Whether a card meets its model's target: the floors above for Gaussian σ = 0.25/0.5/1.0,
    ≥ 3 points above σ = 0.25's smoothed accuracy for σ = 0.12, within 5 points of the Gaussian
    model of the same σ for uniform noise."""
    c = cards[name]
    ev = c["evaluation"]
    acc = 100 * ev["smoothed_accuracy"]
    if c["noise"] == "uniform":
        g = cards.get(name.replace("uniform", "gaussian"))
        if g is None or "evaluation" not in g:
            return "—"
        ref = 100 * g["evaluation"]["smoothed_accuracy"]
        return f"{'met' if acc >= ref - 5 else 'not met'}: smoothed {acc:.1f} vs Gaussian {ref:.1f} (−5 allowed)"
    if c["sigma"] == 0.12:
        g = cards.get("small-gaussian-0.25", {}).get("evaluation")
        if g is None:
            return "—"
        ref = 100 * g["smoothed_accuracy"]
        return f"{'met' if acc >= ref + 3 else 'not met'}: smoothed {acc:.1f} vs σ=0.25's {ref:.1f} (+3 needed)"
    floors = FLOORS.get(c["sigma"])
    if floors is None:
        return "—"
    ca = ev["certified_accuracy"]
    got = (acc, 100 * ca["0.25"], 100 * ca["0.5"], 100 * ca["1"])
    short = [
        f"{lbl} {g:.1f} < {f}" for lbl, g, f in zip(("smoothed", "r=0.25", "r=0.5", "r=1.0"), got, floors) if g < f
    ]
    return "met" if not short else "not met: " + ", ".join(short)


def table() -> str:
    cards = shipped_models()
    rows = [
        "| model | arch | noise | σ (std) | training | train time (2-core CPU) | clean acc. (base) | smoothed acc. | "
        "cert. acc. r=0.25 | r=0.5 | r=1.0 | ACR | N0 / N | largest certifiable radius at this N | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in cards.items():
        if "evaluation" not in c:  # installed, not yet evaluated: say so rather than fail
            head = f"| `{name}` | {c['arch']} | {c['noise']} | {c['sigma']:.2f} |"
            rows.append(head + " |" * 10 + " not evaluated yet |")
            continue
        ev = c["evaluation"]
        ca = ev["certified_accuracy"]
        tr = c["training"]
        start = f"fine-tuned from `{Path(tr['init_from']).stem}`" if tr.get("init_from") else "from scratch"
        rows.append(
            f"| `{name}` | {c['arch']} | {c['noise']} | {c['sigma']:.2f} | {tr['epochs']} epochs, {start} | "
            f"{c['wall_time_s'] / 60:.0f} min | {100 * ev['clean_accuracy_base']:.1f} % | "
            f"{100 * ev['smoothed_accuracy']:.1f} % | {100 * ca['0.25']:.1f} % | {100 * ca['0.5']:.1f} % | "
            f"{100 * ca['1']:.1f} % | {ev['ACR']:.3f} | {ev['N0']} / {ev['N']:,} | {_cap(c, ev):.3f} | "
            f"{target(name, cards)} |"
        )
    return "\n".join(rows)


readme = Path(__file__).resolve().parent.parent / "docs" / "models.md"
text = readme.read_text()
body = table()
readme.write_text(between_markers(text, "models-table", body, readme))
print(body)
