"""``grid``: the results grid — fixed σ, Isotropic DD and ANCER on every shipped model, resumably.

For each model, ``OUT/<model>/{fixed,isotropic-dd,ancer}.tsv`` (+ ``.json`` settings), the rows ``certify
--method M`` writes (same columns, same per-image seeds), and ANCER's θ of each image in
``OUT/<model>/ancer-thetas/theta_IDX.npy`` (the app's θ-map browser reads them). The three methods of an
image come from one run of the protocol (:func:`~ancer_core.core.protocol.run_all_methods`): ANCER starts
from the Isotropic DD θ of the same run, as in the paper. ℓ2 for the Gaussian models, ℓ1 for the uniform
ones; the model's own σ is fixed σ's θ and the optimizers' start.

Images: every 50th test image for the app's default models and every 100th for the others
(:data:`SHIPPED_IMAGES`), or ``--indices`` for every model. An interrupted run resumes at the first image
missing from a model's last file; each file is left with its rows in test order.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ..core.noise import noise_for
from ..core.precision import default_optimizer_precision
from ..core.protocol import run_all_methods
from ..core.settings import METHODS, PRESETS, Settings
from ..core.validation import AncerInputError, check_count
from ..data.cifar10 import load_cifar10, parse_indices
from ..data.records import result_path, run_record
from ..data.results import ResultWriter, format_row, read_results, sort_rows
from ..data.thetas import THETA_FOLDER, save_theta, theta_file
from ..models.cards import shipped_models
from ..models.certifying_network import certifying
from ..models.checkpoints import load_model
from ..models.speed import hardware
from .certify import table_mode_summary
from .common import device_from_flag, invocation
from .options import (
    add_certify_options,
    add_device_option,
    add_optimizer_options,
    add_precision_options,
    settings_from_args,
)

# the shipped grid's test images per model: the app's default models (Gaussian σ = 0.25, uniform σ = 0.5) get more
SHIPPED_IMAGES = {
    "small-gaussian-0.25": "0:10000:50",
    "small-uniform-0.50": "0:10000:50",
    "small-gaussian-0.12": "0:10000:100",
    "small-gaussian-0.50": "0:10000:100",
    "small-gaussian-1.00": "0:10000:100",
    "small-uniform-0.25": "0:10000:100",
    "small-uniform-1.00": "0:10000:100",
}


def add_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("--models", nargs="+", default=list(SHIPPED_IMAGES), help="shipped models (default: all seven)")
    c.add_argument("--preset", default="cpu", choices=list(PRESETS), help="the run's settings (default: cpu)")
    c.add_argument("--chunk", type=int, default=8, help="images optimized and certified together (default: 8)")
    add_device_option(c)
    c.add_argument("--out", default="results", help="the grid's folder, one subfolder per model (default: results)")
    c.add_argument("--budget", action="store_true", help="time one chunk of the first model and print the plan")
    c.add_argument("--indices", default=None, help="start:stop:step for every model instead of the shipped plan")
    c.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    add_optimizer_options(c, short=False)  # every method runs: each optimizer's flags by name
    add_certify_options(c)
    add_precision_options(c)


def run(args) -> int:
    unknown = [m for m in args.models if m not in shipped_models()]
    if unknown:
        raise AncerInputError(
            f"--models {' '.join(unknown)}: not shipped; `models` lists {', '.join(shipped_models())}"
        )
    check_count("--chunk", args.chunk)
    settings = settings_from_args(args)
    device = device_from_flag(args.device)
    optimizer_precision = args.optimizer_precision or default_optimizer_precision(args.precision, device)
    x, y = load_cifar10("test")
    plan = {m: parse_indices(args.indices or SHIPPED_IMAGES.get(m, "0:10000:100"), len(y)) for m in args.models}
    out = Path(tempfile.mkdtemp()) if args.budget else Path(args.out)  # --budget writes nothing that lasts
    print(
        f"preset {args.preset}: {settings.as_dict()}; CERTIFY in {args.precision}, optimizers in "
        f"{optimizer_precision}; " + ", ".join(f"{m}: {len(ix)} images" for m, ix in plan.items()),
        flush=True,
    )
    t_start = time.time()
    for name, idx in plan.items():
        model = _Model(name, args, settings, optimizer_precision, device)
        if args.budget:
            per = model.certify(x, y, idx[: args.chunk], out / name, budget=True)
            total = sum(len(ix) for ix in plan.values())
            print(f"{per:.1f} s per image (all methods) → {total} images ≈ {per * total / 3600:.1f} h")
            return 0
        model.certify(x, y, idx, out / name)
    print(f"done in {(time.time() - t_start) / 3600:.2f} h")
    return 0


class _Model:
    """One model's part of the grid: its network, noise, σ and the record every file of it keeps."""

    def __init__(self, name: str, args, settings: Settings, optimizer_precision: str, device: torch.device):
        card = shipped_models()[name]
        self.name, self.settings, self.methods, self.chunk = name, settings, list(args.methods), args.chunk
        self.noise = noise_for(card["noise"])
        self.theta0 = float(self.noise.theta_from_sigma(card["sigma"]))
        self.model, self.device = load_model(name, device), device
        self.decided = certifying(name, args.precision, optimizer_precision, device)
        self.meta = run_record(
            command=invocation(),
            model_name=name,
            model=self.model,
            norm=self.noise.norm,
            sigma=card["sigma"],
            theta0=self.theta0,
            settings=settings,
            preset=args.preset,
            seed=0,
            precision=args.precision,
            optimizer_precision=optimizer_precision,
            device=str(device),
            hardware=hardware(device),
            certify_model=self.decided.network,
            uniform_convention="std",
            indices=args.indices or SHIPPED_IMAGES.get(name),
        )

    def certify(self, x: torch.Tensor, y: torch.Tensor, idx: list[int], folder: Path, budget: bool = False) -> float:
        """Every image of ``idx`` not yet in the files of ``folder``; seconds per image."""
        try:
            writers = {
                m: ResultWriter(result_path(folder, m), dict(self.meta, method=m), sequential=self.settings.sequential)
                for m in self.methods
            }
        except AncerInputError as e:  # another network or other settings: never mixed into one file
            raise AncerInputError(f"{e}\nTo make this model's grid again from the start, delete {folder}/") from None
        thetas = folder / THETA_FOLDER
        thetas.mkdir(parents=True, exist_ok=True)
        last = writers[self.methods[-1]]  # written last for each image: an image missing from it is not finished
        todo = [
            i for i in idx if i not in last.done or ("ancer" in self.methods and not theta_file(thetas, i).is_file())
        ]
        t_start, done = time.time(), 0
        try:
            for s in range(0, len(todo), self.chunk):
                part = todo[s : s + self.chunk]
                self._write(x, y, part, writers, thetas)
                done += len(part)
                per = (time.time() - t_start) / done
                eta = per * (len(todo) - done) / 60
                print(f"{self.name}: {done}/{len(todo)} images, {per:.1f} s per image, eta {eta:.0f} min", flush=True)
        finally:
            for w in writers.values():
                w.close()
                if not budget:
                    sort_rows(w.path)  # test order however the runs were resumed: memory replays rows in order
        if self.settings.radii is not None and not budget:  # table mode: each method's table and samples
            for m, w in writers.items():
                print(f"{self.name}, {m}:\n{table_mode_summary(read_results(w.path), self.settings)}")
        return (time.time() - t_start) / max(done, 1)

    def _write(self, x, y, part: list[int], writers: dict, thetas: Path) -> None:
        res = run_all_methods(
            self.model,
            x[part].to(self.device),
            self.noise,
            self.theta0,
            self.settings,
            seed=0,
            indices=part,
            **self.decided.run_options(),
            methods=self.methods,
        )
        theta = res["ancer"].theta.float().cpu().numpy().astype(np.float32) if "ancer" in res else None
        for k, i in enumerate(part):
            if theta is not None:
                save_theta(thetas, i, theta[k])
            for m, r in res.items():
                seconds = r.stage_seconds["certify"] / len(part)  # CERTIFY only, as the original's time
                if i not in writers[m].done:
                    row = format_row(i, int(y[i]), r.certificates[k], seconds, sequential=self.settings.sequential)
                    writers[m].write(row)
