"""``models``: the shipped models with their cards, and the architectures."""

from __future__ import annotations

import argparse

from ..models.cards import ARCH_NOTES, shipped_models


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options."""


def run(args) -> int:
    cards = shipped_models()
    if not cards:
        print("no shipped models found")
    for name, c in cards.items():
        ev = c.get("evaluation", {})
        acc = ev.get("certified_accuracy", {})
        print(
            f"{name}: {c['arch']}, {c['noise']} noise σ={c['sigma']:g} (θ={c['theta']:.4g}, {c['theta_meaning']}), "
            f"{c['training']['epochs']} epochs, {c.get('wall_time_s', '?')} s on {c.get('hardware', '?')}"
        )
        if ev:
            print(
                f"    smoothed accuracy {100 * ev['smoothed_accuracy']:.1f}% on {ev['images']} test images "
                f"(N0={ev['N0']}, N={ev['N']}, α={ev['alpha']}); certified: "
                + ", ".join(f"r={r}: {100 * v:.1f}%" for r, v in acc.items())
            )
    print("\narchitectures: " + "; ".join(f"{k} — {v}" for k, v in ARCH_NOTES.items()))
    return 0
