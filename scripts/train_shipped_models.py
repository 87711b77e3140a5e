"""Train and evaluate the shipped small models (the exact recipe behind ancer_core/assets/models).

    python scripts/train_shipped_models.py --data-root PATH_TO_CIFAR10 [--out DIR] [--only NAME ...]

PATH_TO_CIFAR10: the original release (folder with cifar-10-batches-py/) or the JPEG archive
cifar10-jpeg.tar.xz. Each model: small-cnn, seed 0, batch 128, SGD + one-cycle LR (max 0.1),
noise augmentation with the stated σ (std; uniform half-width λ = √3σ). Then the smoothed
classifier is certified with fixed θ on every 20th test image (500 images) with N0, N, α below,
and the figures go into the model card.
"""
import argparse
import json
import shutil
import time
from pathlib import Path

from ancer_core.models import MODEL_DIR, load_model
from ancer_core.noise import smoothing_theta
from ancer_core.train import TrainConfig, evaluate_smoothed, save_checkpoint, train

# epochs were set by the CPU-only budget of the session that trained them (2 cores, ~90 s/epoch)
PLAN = [("gaussian", 0.25, 8), ("gaussian", 0.50, 2), ("gaussian", 0.12, 2), ("gaussian", 1.00, 2),
        ("uniform", 0.25, 2), ("uniform", 0.50, 2), ("uniform", 1.00, 2)]
EVAL = dict(n0=16, n=160, alpha=0.001)

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", required=True)
p.add_argument("--out", default="runs/shipped")
p.add_argument("--device", default="cpu")
p.add_argument("--only", nargs="*", default=None)
p.add_argument("--install", action="store_true", help="copy finished models into ancer_core/assets/models")
a = p.parse_args()
for noise, sigma, epochs in PLAN:
    name = f"small-{noise}-{sigma:.2f}"
    if a.only and name not in a.only:
        continue
    out = Path(a.out) / f"{name}.pt"
    if out.with_suffix(".json").is_file() and "evaluation" in json.loads(out.with_suffix(".json").read_text()):
        print("done already:", name)
    else:
        t = time.time()
        card = train(TrainConfig(noise=noise, sigma=sigma, epochs=epochs, data_root=a.data_root), out, a.device)
        model = load_model(out, a.device, fold_bn=False)  # saved again below: keep its BatchNorm
        norm = card["norm"]
        card["name"] = name
        card["evaluation"] = evaluate_smoothed(model, norm, smoothing_theta(norm, sigma), list(range(0, 10000, 20)),
                                               device=a.device, **EVAL)
        card["evaluation"]["what"] = ("CERTIFY with fixed θ on every 20th CIFAR-10 test image (shipped JPEG copy); "
                                      "certified accuracy at ℓ2 (Gaussian) or ℓ1 (uniform) radius r")
        save_checkpoint(model, card["arch"], card, out)
        print(name, json.dumps(card["evaluation"]), f"{time.time() - t:.0f}s", flush=True)
    if a.install:
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, MODEL_DIR / out.name)
        shutil.copy(out.with_suffix(".json"), MODEL_DIR / out.with_suffix(".json").name)
