"""``optimize``: θ per image (Isotropic DD or ANCER), saved as DIR/theta_IDX.npy; resumable."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..console import Progress
from ..core.settings import OPTIMIZED, stage_work
from ..core.validation import AncerInputError
from ..data.files import OutputLock, prepare_output, read_json
from ..data.records import RESUME_KEYS, describe_diff, settings_diff
from ..data.thetas import save_theta, theta_file, theta_indices
from . import distributed
from .common import announce_estimate, job_record, optimize_images, setup
from .options import add_image_options


def add_arguments(o: argparse.ArgumentParser) -> None:
    add_image_options(o, OPTIMIZED)
    o.add_argument("--out", required=True, help="output folder for θ files (resumable: existing ones are kept)")


def run(args) -> int:
    out = prepare_output(args.out, "folder")
    job = setup(args)
    meta = job_record(job)
    meta_path = out / "settings.json"
    if theta_indices(out):  # every rank reads the same folder, so every rank stops here
        if not meta_path.is_file():
            raise AncerInputError(
                f"{out} holds θ files but no settings.json, so nothing says which settings made them; restore it, "
                "or choose another --out, or empty the folder to start over"
            )
        fix = "restore it, or choose another --out, or empty the folder to start over"
        diff = settings_diff(read_json(meta_path, "the settings of a θ folder", fix), meta, RESUME_KEYS)
        if diff:
            raise AncerInputError(
                f"{out} holds θ made with other settings (then → now: {describe_diff(diff)}); choose another --out or "
                "empty it"
            )
    announce_estimate(job, sum(not theta_file(out, i).is_file() for i in job.indices), (job.method,), certify=False)
    out.mkdir(parents=True, exist_ok=True)
    lock = OutputLock(out).acquire() if job.rank == 0 else None  # ranks share the folder: rank 0 holds it
    try:
        distributed.barrier()  # all ranks have read settings.json before rank 0 rewrites it
        if job.rank == 0:
            meta_path.write_text(json.dumps(meta, indent=2))
        _optimize_all(job, out)
    finally:
        if lock is not None:
            lock.release()
    return 0


def _optimize_all(job, out: Path) -> None:
    idx = job.indices
    todo = [i for i in idx if not theta_file(out, i).is_file()]
    bar = Progress(len(idx), f"optimize {job.method}")
    bar.update(len(idx) - len(todo))
    work = {k: v for k, v in stage_work(job.settings, [job.method]).items() if not k.startswith("certify")}
    for s in range(0, len(todo), job.chunk):
        part = todo[s : s + job.chunk]
        res = optimize_images(job, job.batch(part), part, bar.stages(work, len(part), before=len(idx) - len(todo) + s))
        theta = res[job.method].cpu().numpy().astype(np.float32)
        iso = res["isotropic-dd"].cpu().numpy().astype(np.float32) if "isotropic-dd" in res else None
        for k, i in enumerate(part):
            if iso is not None and job.method == "ancer":
                save_theta(out, i, iso[k], stage="iso")
            save_theta(out, i, theta[k])
        bar.update(len(idx) - len(todo) + s + len(part))
    print(f"wrote θ for {len(idx)} images to {out}", file=sys.stderr)
