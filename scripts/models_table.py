"""Print the README's table of shipped models from their cards (so the README quotes measured figures)."""
from ancer_core.models import shipped_models

rows = ["| model | noise | σ (std) | θ | epochs | train time | clean acc. (base) | smoothed acc. | cert. acc. r=0.25 | r=0.5 | r=1.0 | ACR |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for name, c in shipped_models().items():
    ev = c["evaluation"]
    ca = ev["certified_accuracy"]
    rows.append(f"| `{name}` | {c['noise']} | {c['sigma']:.2f} | {c['theta']:.3f} | {c['training']['epochs']} | "
                f"{c['wall_time_s'] / 60:.0f} min | {100 * ev['clean_accuracy_base']:.1f} % | "
                f"{100 * ev['smoothed_accuracy']:.1f} % | {100 * ca['0.25']:.1f} % | {100 * ca['0.5']:.1f} % | "
                f"{100 * ca['1']:.1f} % | {ev['ACR']:.3f} |")
print("\n".join(rows))
