"""Evaluate a shipped model again at a larger N and add the figures to its card (``evaluation_larger_n``).

    python scripts/evaluate_shipped.py small-gaussian-0.25 --n0 100 --n 2000 [--device cuda]

Same protocol as the card's own evaluation (CERTIFY with fixed θ on every 20th test image, 500
images, α = 0.001, seed 0) with more noise samples, so fewer images abstain and radii are less
capped. The card's ``evaluation`` block is kept as it was.
"""

import argparse
import time

from ancer_core import smoothing_theta
from ancer_core.models import MODEL_DIR, evaluate_smoothed, load_model, save_checkpoint

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("name")
p.add_argument("--n0", type=int, default=100)
p.add_argument("--n", type=int, default=2000)
p.add_argument("--alpha", type=float, default=0.001)
p.add_argument("--device", default="cpu")
a = p.parse_args()
model = load_model(a.name, a.device, fold_bn=False)  # saved again below: keep its BatchNorm
card = {k: v for k, v in model.card.items() if k != "path"}
t = time.time()
ev = evaluate_smoothed(
    model,
    card["norm"],
    smoothing_theta(card["norm"], card["sigma"]),
    list(range(0, 10000, 20)),
    n0=a.n0,
    n=a.n,
    alpha=a.alpha,
    device=a.device,
)
ev["what"] = card["evaluation"].get("what", "")
ev["wall_time_s"] = time.time() - t
card["evaluation_larger_n"] = ev
save_checkpoint(model, card["arch"], card, MODEL_DIR / f"{a.name}.pt")
print(a.name, ev)
