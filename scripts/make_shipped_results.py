"""The shipped results grid: fixed σ, Isotropic DD and ANCER on every shipped model, resumably.

    python scripts/make_shipped_results.py [--models NAME …] [--precision int8] [--optimizer-precision bf16]
    python scripts/make_shipped_results.py --budget          # measure seconds per image, print the plan

For each model, ``results/<model>/{fixed,isotropic-dd,ancer}.tsv`` (+ ``.json`` settings), the rows
``python -m ancer_core certify --method M`` writes (same columns, same per-image seeds), and ANCER's
θ of each image in ``results/<model>/ancer-thetas/theta_IDX.npy`` (the app's θ-map browser reads
them). ℓ2 for the Gaussian models, ℓ1 for the uniform ones; the model's own σ is fixed σ's θ and
the optimizers' start; ANCER starts from Isotropic DD's θ of the same run, as in the paper.

Settings: the ``cpu`` preset (N0 = 100, N = 10,000, α = 0.001; Isotropic DD 200 × 32, ANCER
100 × 32 noisy gradient samples), on every 50th test image for the app's default models and every
100th for the others (``IMAGES``). An interrupted run resumes at the first image missing from a
model's ANCER file; each file is left with its rows in test order (``sort_rows``). ``--precision
int8`` certifies the model's calibrated int8 network (the certificates are then about that
network; every file records it).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ancer_core as ac
from ancer_core.cli.options import theta_max_ratio
from ancer_core.core import default_optimizer_precision
from ancer_core.core.validation import AncerInputError
from ancer_core.data import (
    THETA_FOLDER,
    ResultWriter,
    format_row,
    parse_indices,
    result_path,
    run_record,
    save_theta,
    sort_rows,
    theta_file,
)
from ancer_core.models import certifying
from ancer_core.models.speed import hardware

ROOT = Path(__file__).resolve().parents[1]
# images per model: the app's default models (Gaussian σ = 0.25, uniform σ = 0.5) get more
IMAGES = {
    "small-gaussian-0.25": "0:10000:50",
    "small-uniform-0.50": "0:10000:50",
    "small-gaussian-0.12": "0:10000:100",
    "small-gaussian-0.50": "0:10000:100",
    "small-gaussian-1.00": "0:10000:100",
    "small-uniform-0.25": "0:10000:100",
    "small-uniform-1.00": "0:10000:100",
}

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--models", nargs="+", default=list(IMAGES), choices=list(IMAGES))
p.add_argument("--preset", default="cpu", choices=list(ac.PRESETS))
p.add_argument("--precision", default="fp32", choices=["fp32", "int8"], help="CERTIFY's network")
p.add_argument(
    "--optimizer-precision", default=None, choices=["fp32", "bf16"], help="default: the library's for --precision"
)
p.add_argument("--chunk", type=int, default=8, help="images optimized and certified together")
p.add_argument("--out", default="results")
p.add_argument("--budget", action="store_true", help="time one chunk of the first model and print the plan")
p.add_argument("--indices", default=None, help="start:stop:step for every model instead of IMAGES (smoke tests)")
p.add_argument("--methods", nargs="+", default=list(ac.METHODS), choices=list(ac.METHODS))
p.add_argument("--objective", default=None, choices=list(ac.OBJECTIVES), help="the optimizers' surrogate")
p.add_argument("--temperature", type=float, default=None, help="softmax temperature of the surrogate")
p.add_argument(
    "--theta-max-ratio",
    type=theta_max_ratio,
    default=ac.OBJECTIVE_BOUND,
    help="θ ≤ this × the model's θ, or none (default: the objective's own)",
)
p.add_argument("--iso-solver", default=None, choices=list(ac.ISO_SOLVERS), help="Isotropic DD's solver")
a = p.parse_args()
a.optimizer_precision = a.optimizer_precision or default_optimizer_precision(a.precision)
overrides = {
    k: v
    for k, v in {"objective": a.objective, "temperature": a.temperature, "iso_solver": a.iso_solver}.items()
    if v is not None
}
if a.theta_max_ratio != ac.OBJECTIVE_BOUND:
    overrides["theta_max_ratio"] = a.theta_max_ratio
settings = ac.preset(a.preset, **overrides)
flags = "".join(f" --{k.replace('_', '-')} {'none' if v is None else v}" for k, v in overrides.items())
x, y = ac.load_cifar10("test")
images = {m: a.indices or IMAGES[m] for m in a.models}
plan = {m: parse_indices(images[m], len(y)) for m in a.models}
out_root = Path(tempfile.mkdtemp()) if a.budget else ROOT / a.out  # --budget writes nothing that lasts
print(
    f"preset {a.preset}: {settings.as_dict()}; CERTIFY in {a.precision}, optimizers in {a.optimizer_precision}; "
    + ", ".join(f"{m}: {len(ix)} images" for m, ix in plan.items()),
    flush=True,
)
t_campaign = time.time()
for name, idx in plan.items():
    card = ac.shipped_models()[name]
    noise = ac.noise_for(card["noise"])
    theta0 = float(noise.theta_from_sigma(card["sigma"]))
    model = ac.load_model(name, "cpu")
    decided = certifying(name, a.precision, a.optimizer_precision)
    folder = out_root / name
    meta = run_record(
        command=f"python scripts/make_shipped_results.py --models {name} --preset {a.preset} "
        f"--precision {a.precision} --optimizer-precision {a.optimizer_precision}{flags}"
        + (f" --indices {a.indices}" if a.indices else "")
        + (f" --methods {' '.join(a.methods)}" if a.methods != list(ac.METHODS) else "")
        + (f" --out {a.out}" if a.out != "results" else ""),
        model_name=name,
        model=model,
        norm=noise.norm,
        sigma=card["sigma"],
        theta0=theta0,
        settings=settings,
        preset=a.preset,
        seed=0,
        precision=a.precision,
        optimizer_precision=a.optimizer_precision,
        device="cpu",
        hardware=hardware(),
        certify_model=decided.network,
        uniform_convention="std",
        indices=images[name],
    )
    try:
        writers = {m: ResultWriter(result_path(folder, m), dict(meta, method=m)) for m in a.methods}
    except AncerInputError as e:  # another network or other settings: never mixed into one file
        sys.exit(f"error: {e}\nTo make this model's grid again from the start, delete {folder}/")
    thetas = folder / THETA_FOLDER
    thetas.mkdir(parents=True, exist_ok=True)
    last = a.methods[-1]  # written last for each image: an image missing from it is not finished
    todo = [
        i for i in idx if i not in writers[last].done or ("ancer" in a.methods and not theta_file(thetas, i).is_file())
    ]
    if a.budget:
        todo = idx[: a.chunk]
    t_model, done = time.time(), 0
    for s in range(0, len(todo), a.chunk):
        part = todo[s : s + a.chunk]
        res = ac.run_all_methods(
            model,
            x[part],
            noise,
            theta0,
            settings,
            seed=0,
            indices=part,
            **decided.run_options(),
            methods=a.methods,
        )
        if a.budget:
            per = (time.time() - t_model) / len(part)
            total = sum(len(ix) for ix in plan.values())
            print(f"{per:.1f} s per image (all three methods) → {total} images ≈ {per * total / 3600:.1f} h")
            raise SystemExit(0)
        theta = res["ancer"].theta.float().cpu().numpy().astype(np.float32) if "ancer" in res else None
        for k, i in enumerate(part):
            if theta is not None:
                save_theta(thetas, i, theta[k])
            for m, r in res.items():
                seconds = r.stage_seconds["certify"] / len(part)  # CERTIFY only, as the original's time
                if i not in writers[m].done:
                    writers[m].write(format_row(i, int(y[i]), r.certificates[k], seconds))
        done += len(part)
        per = (time.time() - t_model) / done
        print(f"{name}: {done}/{len(todo)} images, {per:.1f} s per image, eta {per * (len(todo) - done) / 60:.0f} min")
    for w in writers.values():
        w.close()
        sort_rows(w.path)  # test order however the runs were resumed: the memory reading replays rows in order
print(f"done in {(time.time() - t_campaign) / 3600:.2f} h")
