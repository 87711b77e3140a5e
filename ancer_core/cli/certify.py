"""``certify``: CERTIFY every image with its θ and write a resumable TSV (one row per image)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from ..console import Progress
from ..core.memory import CertificationMemory
from ..core.precision import certify_config
from ..core.protocol import run_all_methods
from ..core.settings import METHODS, OPTIMIZED, stage_work
from ..core.validation import AncerInputError, check_count
from ..data.files import OutputLock, prepare_output, read_json
from ..data.records import RESUME_KEYS, settings_diff
from ..data.results import ResultWriter, format_row, read_results
from ..data.tables import accuracy_table
from ..data.thetas import load_theta
from . import distributed
from .common import Job, announce_estimate, job_record, setup
from .options import add_certify_options, add_image_options

THETA_KEYS = ("model", "norm", "method", "sigma", "uniform_convention")


def add_arguments(c: argparse.ArgumentParser) -> None:
    add_image_options(c, METHODS)
    c.add_argument("--out", required=True, help="output .tsv (resumable: indices already in it are skipped)")
    c.add_argument(
        "--thetas", default=None, help="folder written by `optimize`; without it, isotropic-dd/ancer optimize first"
    )
    add_certify_options(c)
    c.add_argument(
        "--memory",
        action="store_true",
        help="memory-based certification (Alfarra et al.): revise each "
        "certificate so regions of different classes never overlap; needs a sequential run",
    )


def _load_thetas(folder: Path, part: list[int]) -> torch.Tensor:
    return torch.from_numpy(np.stack([load_theta(folder, i) for i in part])).float()


def _check_theta_shapes(folder: str, indices: list[int], image: tuple[int, ...]) -> None:
    """Every θ of the run read (12 KB each), all of one shape: one value (isotropic) or one per pixel and channel."""
    shapes: dict[tuple, int] = {}
    for i in indices:
        shapes.setdefault(load_theta(folder, i).shape, i)
    fits = [s for s in shapes if s not in ((), (1,), image)]
    if fits or len(shapes) > 1:
        said = ", ".join(f"{s} (image {i})" for s, i in shapes.items())
        raise AncerInputError(
            f"--thetas {folder} holds θ of shapes {said}; each must be one value or {image} (one per pixel and "
            "channel), all alike: run `optimize` again into an empty folder"
        )


def _check_thetas(args, model_name: str) -> dict | None:  # before setup: the flags as given
    """The settings of the `optimize` run behind --thetas; refuses θ made for another model, norm,
    method, σ or uniform convention (the rows would describe θ that is not what they used)."""
    path = Path(args.thetas) / "settings.json"
    if not path.is_file():
        print(
            f"warning: {path} is missing; cannot check that these θ were made for this model and method",
            file=sys.stderr,
        )
        return None
    made = read_json(path, "the settings of a θ folder", f"run `optimize` again with --out {args.thetas}")
    want = {
        "model": model_name,
        "norm": args.norm,
        "method": args.method,
        "sigma": args.sigma,
        "uniform_convention": args.uniform_convention,
    }
    diff = settings_diff(made, want, {k: RESUME_KEYS[k] for k in THETA_KEYS})
    if diff:
        said = ", ".join(f"{k}: {a!r}, here {b!r}" for k, (a, b) in diff.items())
        raise AncerInputError(
            f"--thetas {args.thetas} was optimized with other settings ({said}); certify with "
            "the same --model, --norm, --method, --sigma and --uniform-convention"
        )
    return made


def _restore_memory(memory: CertificationMemory, job: Job, thetas: str | None, table) -> None:
    """Rebuild the memory of an interrupted run from its rows, in the order they were written: each
    row's region is centred at its image, with the θ of the image named in ``theta_of`` (its own, or
    the earlier image's whose region it was revised into), its gap and its class — the regions the
    memory held, not each image's own θ."""
    if job.method in OPTIMIZED and not thetas:
        raise AncerInputError(
            "resuming a --memory run needs the θ of the finished rows: run `optimize` and pass --thetas"
        )
    rows = zip(table["idx"].tolist(), table["predict"].tolist(), table["gap"].tolist(), table["theta_of"].tolist())
    for i, pred, gap, theta_of in rows:
        if pred >= 0:
            th = load_theta(thetas, theta_of) if job.method in OPTIMIZED else job.theta0
            memory.store(job.x[i].numpy(), th, gap, pred, theta_of)


def run(args) -> int:
    if args.thetas and args.method not in OPTIMIZED:
        raise AncerInputError("--thetas is for --method isotropic-dd or ancer; fixed uses --sigma")
    if args.thetas and not Path(args.thetas).is_dir():
        raise AncerInputError(
            f"--thetas {args.thetas!r} is not a folder; give the --out folder of an `optimize` run (run it first)"
        )
    if args.batch != "auto" and not (str(args.batch).isdigit() and int(args.batch) >= 1):
        raise AncerInputError(f"--batch {args.batch!r}; use a positive integer or auto")
    check_count("--noise-batch", args.noise_batch)
    prepare_output(args.out)
    job = setup(args)
    theta_meta = _check_thetas(args, job.model_name) if args.thetas else None
    if args.thetas:  # every θ readable, and of one shape that fits the images, before the result file is touched
        _check_theta_shapes(args.thetas, job.indices, tuple(job.x.shape[1:]))
    device = job.device
    cfg = certify_config(
        args.precision,
        channels_last=args.channels_last,
        noise_batch=args.noise_batch,
        max_batch=args.batch if args.batch == "auto" else int(args.batch),
    )
    meta = job_record(
        job,
        certify_model=job.certify_model,
        memory=args.memory,
        thetas=args.thetas,
        thetas_settings=theta_meta,
        indices=args.indices,
        cuda_tf32=(torch.backends.cudnn.allow_tf32 if device.type == "cuda" else None),
        min_sigma_meaning="min θ: σ (Gaussian) or uniform half-width λ",
        rank=job.rank,
    )
    out = distributed.shard_path(args.out, job.rank, job.world_size)
    done = set(read_results(out)["idx"].tolist()) if out.is_file() and out.stat().st_size else set()
    if args.memory and done and args.method in OPTIMIZED and not args.thetas:  # refused before anything is written
        raise AncerInputError(
            f"resuming the --memory run in {out} needs the θ of its finished rows: run `optimize` and pass --thetas"
        )
    stages = (args.method,) if args.method in OPTIMIZED and not args.thetas else ()
    announce_estimate(job, len([i for i in job.indices if i not in done]), stages or ("fixed",))  # may refuse
    lock = OutputLock(out).acquire()
    try:
        return _certify_all(job, cfg, meta, out, final=args.out, thetas=args.thetas, memory=args.memory)
    finally:
        lock.release()


def _certify_all(job: Job, cfg, meta: dict, out, *, final: str, thetas: str | None, memory: bool) -> int:
    """Certify this rank's images into ``out`` (its shard of ``final``), resuming; with ``thetas`` the θ of an
    `optimize` folder, with ``memory`` through :class:`CertificationMemory`."""
    settings, device = job.settings, job.device
    sequential = settings.sequential
    writer = ResultWriter(out, meta, memory=memory, sequential=sequential)
    kept = CertificationMemory(job.noise.norm, int(np.prod(job.x.shape[1:]))) if memory else None
    idx = job.indices
    todo = [i for i in idx if i not in writer.done]
    if kept is not None and writer.done:
        _restore_memory(kept, job, thetas, writer.table)
    bar = Progress(len(idx), f"certify {job.method}")
    bar.update(len(idx) - len(todo))
    work = stage_work(settings, [job.method])
    if thetas:  # θ read from an `optimize` folder: CERTIFY is all the work
        work = {k: v for k, v in work.items() if k.startswith("certify")}
    try:
        for s in range(0, len(todo), job.chunk):
            part = todo[s : s + job.chunk]
            xb = job.batch(part)
            res = run_all_methods(
                job.model,
                xb,
                job.noise,
                job.theta0,
                settings,
                methods=(job.method,),
                thetas={job.method: _load_thetas(Path(thetas), part).to(device)} if thetas else None,
                seed=job.seed,
                indices=part,
                config=cfg,
                certify_model=job.certify_model,
                optimizer_autocast=job.optimizer_autocast(),
                callback=bar.stages(work, len(part), before=len(idx) - len(todo) + s),
            )[job.method]
            per = res.stage_seconds["certify"] / len(part)
            for k, (i, cert) in enumerate(zip(part, res.certificates)):
                if kept is not None:
                    cert = kept.admit(xb[k].cpu().numpy(), cert, key=i)
                writer.write(format_row(i, int(job.y[i]), cert, per, memory=kept is not None, sequential=sequential))
            bar.update(len(idx) - len(todo) + s + len(part))
    finally:
        writer.close()
    if kept is not None:
        print(f"memory-based certification: {kept.revised} of {kept.size} certificates revised", file=sys.stderr)
    if job.world_size > 1:
        distributed.barrier()
        if job.rank == 0:
            distributed.merge(final, job.world_size)
        distributed.barrier()
    print(f"wrote {final}" if job.rank == 0 else f"rank {job.rank}: shard done", file=sys.stderr)
    if settings.radii is not None and job.rank == 0:
        print(table_mode_summary(read_results(final), settings))
    return 0


def table_mode_summary(table, settings) -> str:
    """What a table-mode run answers: the certified-accuracy table of ``analyze`` at its radii, and the
    estimation samples it drew against fixed sampling's N per image."""
    spent = table["samples"]
    return (
        accuracy_table({"certified accuracy (%)": table}, settings.radii, acr=False)  # no ACR: radii only decided
        + f"\nestimation samples: {int(spent.sum()):,} for {len(spent)} images, {spent.mean():,.0f} per image on "
        f"average (fixed sampling: {settings.n:,} each, {settings.n / max(spent.mean(), 1):.1f}× as many)"
    )
