"""Command line: ``python -m ancer_core {optimize,certify,analyze,models,train} …``.

Run ``python -m ancer_core COMMAND --help`` for each command's options.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .validation import NORMS, AncerInputError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}

EPILOG = """examples:
  python -m ancer_core models
  python -m ancer_core certify --norm l2 --method fixed --sigma 0.25 --indices 0:500:20 --out runs/fixed.tsv --preset quick
  python -m ancer_core optimize --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --out runs/ancer_thetas --preset quick
  python -m ancer_core certify --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --thetas runs/ancer_thetas --out runs/ancer.tsv --preset quick
  python -m ancer_core analyze runs/fixed.tsv runs/ancer.tsv --radii 0 0.25 0.5 0.75 1.0

σ (--sigma) is the noise's standard deviation for both noises; uniform noise (l1) has half-width
λ = √3·σ (Yang et al. 2020). --uniform-convention ancer-original uses the original code's λ = σ/√3."""


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise AncerInputError("--device cuda was requested but no CUDA GPU is available; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise AncerInputError(f"--device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def _common(p: argparse.ArgumentParser, methods: tuple[str, ...]) -> None:
    p.add_argument("--model", default=None, help="shipped model name (see `models`) or checkpoint path; default: the "
                   "shipped small model trained with the same noise and the nearest σ")
    p.add_argument("--norm", choices=NORMS, required=True, help="l2: Gaussian noise, ellipsoids; l1: uniform noise, "
                   "cross-polytopes")
    p.add_argument("--method", choices=methods, required=True)
    p.add_argument("--sigma", type=float, required=True, help="smoothing σ (std); the start of the optimization for "
                   "data-dependent methods")
    p.add_argument("--indices", default="0:500:20", help="CIFAR-10 test indices start:stop:step (original order), "
                   "e.g. 0:10000:20 = the paper's every 20th image (default %(default)s)")
    p.add_argument("--skip", type=int, default=None, help="as in the original scripts: take every SKIP-th test image "
                   "(overrides --indices; with --max: range(0, MAX, SKIP))")
    p.add_argument("--max", type=int, default=None, help="as in the original scripts: stop before test index MAX")
    p.add_argument("--preset", choices=("quick", "paper"), default="paper",
                   help="paper: N0=100, N=100,000, α=0.001, Isotropic DD 900×100, ANCER 100×100; quick: small, for CPUs")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="run seed; each image's noise is seeded from (seed, index)")
    p.add_argument("--data-root", default=None, help="original CIFAR-10 release (folder with cifar-10-batches-py) or "
                   "JPEG archive; default: the test split shipped with the package")
    p.add_argument("--chunk", type=int, default=None, help="images processed together (default 16 on CPU, 128 on GPU)")
    p.add_argument("--uniform-convention", choices=("std", "ancer-original"), default="std")
    p.add_argument("--iterations", type=int, default=None, help="iterations of the chosen optimizer (overrides preset)")
    p.add_argument("--samples", type=int, default=None, help="noise samples per iteration (overrides preset)")
    p.add_argument("--lr", type=float, default=None, help="learning rate of the chosen optimizer (default 0.04)")
    p.add_argument("--kappa", type=float, default=None, help="ANCER's κ (default 2.0)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="autocast dtype of every forward pass (optimization and CERTIFY); the certified base "
                   "classifier is then the network as run in that precision (sound for it, not for the fp32 "
                   "network); fp16 needs CUDA; see README Performance")
    p.add_argument("--channels-last", action="store_true", help="channels-last memory layout for the model and the "
                   "forward passes (already the default for the weights on a CPU)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ancer_core", description="ANCER: anisotropic certification via "
                                "sample-wise volume maximization (Eiras, Alfarra et al., TMLR 2022).",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    o = sub.add_parser("optimize", help="optimize θ per image and save it (DIR/theta_IDX.npy)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _common(o, ("isotropic-dd", "ancer"))
    o.add_argument("--out", required=True, help="output folder for θ files (resumable: existing ones are kept)")

    c = sub.add_parser("certify", help="certify images and write a TSV (idx label predict radius radius_proxy correct "
                       "min_sigma time …)", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _common(c, ("fixed", "isotropic-dd", "ancer"))
    c.add_argument("--out", required=True, help="output .tsv (resumable: indices already in it are skipped)")
    c.add_argument("--thetas", default=None, help="folder written by `optimize`; without it, isotropic-dd/ancer "
                   "optimize first")
    c.add_argument("--N0", type=int, default=None, help="selection samples (paper 100)")
    c.add_argument("--N", type=int, default=None, help="estimation samples (paper 100,000)")
    c.add_argument("--alpha", type=float, default=None, help="failure probability (paper 0.001)")
    c.add_argument("--batch", default="auto", help="noisy images per forward pass, or auto (halved on out-of-memory)")
    c.add_argument("--noise-batch", type=int, default=1000, help="noise samples per image per draw (fixes the random "
                   "stream, like the original's batch)")
    c.add_argument("--memory", action="store_true", help="memory-based certification (Alfarra et al.): revise each "
                   "certificate so regions of different classes never overlap; needs a sequential run")

    a = sub.add_parser("analyze", help="print certified accuracy (Tables 1/2) and superset shares (Tables 4/5)")
    a.add_argument("files", nargs="+", help="TSV files from `certify`")
    a.add_argument("--radii", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5])
    a.add_argument("--reference", default=None, help="file compared with the others in the superset table "
                   "(default: the last file)")

    sub.add_parser("models", help="list the shipped models with their cards")

    t = sub.add_parser("train", help="train a base classifier with noise augmentation",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("--arch", default="small-cnn")
    t.add_argument("--noise", choices=("gaussian", "uniform"), required=True)
    t.add_argument("--sigma", type=float, required=True, help="noise std (uniform: λ = √3σ)")
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--stability", type=float, default=0.0, help="γ of Yang et al.'s stability loss (0 = off; original "
                   "ANCER ℓ1 models used 6)")
    t.add_argument("--data-root", required=True, help="original CIFAR-10 release or the JPEG archive (.tar.xz)")
    t.add_argument("--out", required=True, help="checkpoint path (.pt); a .json model card is written beside it")
    t.add_argument("--device", default="auto")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--max-train", type=int, default=None, help="use a random subset of this many train images")
    t.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke tests)")
    return p


def _settings(args):
    from .pipeline import preset
    iters = {"iso_iterations" if args.method == "isotropic-dd" else "ancer_iterations": args.iterations}
    samples = {"iso_samples" if args.method == "isotropic-dd" else "ancer_samples": args.samples}
    lr = {"iso_lr" if args.method == "isotropic-dd" else "ancer_lr": args.lr}
    extra = {}
    if hasattr(args, "N0"):
        extra = {"n0": args.N0, "n": args.N, "alpha": args.alpha}
    return preset(args.preset, **iters, **samples, **lr, kappa=args.kappa, **extra)


def _setup(args):
    """Validate everything cheap first, then load model and data. Under torchrun, join the process
    group and keep this rank's shard idx[rank::size] of the indices."""
    from . import distributed
    from .data import load_cifar10, parse_indices
    from .models import default_model_name, load_model
    from .noise import smoothing_theta
    if not (args.sigma > 0 and np.isfinite(args.sigma)):
        raise AncerInputError(f"--sigma {args.sigma} must be > 0")
    settings = _settings(args)
    device = _device(args.device)
    name = args.model
    if name is None:
        name, trained = default_model_name(args.norm, args.sigma)
        print(f"model: {name} (shipped; trained with σ={trained:g}, nearest to --sigma {args.sigma:g})", file=sys.stderr)
    x, y = load_cifar10("test", args.data_root)
    spec = args.indices
    if args.skip is not None or args.max is not None:
        if (args.skip is not None and args.skip < 1) or (args.max is not None and args.max < 1):
            raise AncerInputError("--skip and --max must be positive integers")
        spec = f"0:{args.max or len(y)}:{args.skip or 1}"
    idx = parse_indices(spec, len(y))
    rank, size = distributed.world()
    if size > 1 and getattr(args, "memory", False):
        raise AncerInputError("--memory certifies images in order, one after another; it cannot be sharded over "
                              "torchrun ranks — run it in one process")
    if args.precision == "fp16" and device.type != "cuda":
        raise AncerInputError("--precision fp16 needs a CUDA device; on a CPU use fp32 (bf16 works but was 6× slower "
                              "than fp32 on the CPU we measured)")
    device = distributed.init(device)
    model = load_model(name, device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    theta0 = smoothing_theta(args.norm, args.sigma, args.uniform_convention)
    chunk = args.chunk or (128 if device.type == "cuda" else 16)
    return settings, device, name, model, x, y, idx[rank::size], theta0, chunk, rank, size


def _optimize(args, model, xb: torch.Tensor, settings, theta0: float, part: list[int]) -> dict[str, torch.Tensor]:
    """θ of each stage for the images ``part``, in the precision and layout the command asked for;
    refuses a non-finite θ (it could only come from reduced precision) instead of certifying with it."""
    from .pipeline import optimize_theta_split
    if args.channels_last:
        xb = xb.contiguous(memory_format=torch.channels_last)
    dtype = PRECISIONS[args.precision]
    with torch.autocast(xb.device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext():
        res = optimize_theta_split(model, xb, args.norm, args.method, theta0, settings, seed=args.seed, indices=part)
    res = {k: v.float() for k, v in res.items()}
    for k, v in res.items():
        bad = [i for i, ok in zip(part, torch.isfinite(v.reshape(len(v), -1)).all(1).tolist()) if not ok]
        if bad:
            raise AncerInputError(f"{k} θ is not finite for images {bad[:10]} with --precision {args.precision}; "
                                  "rerun them with --precision fp32 or bf16")
    return res


def _theta_path(folder: Path, i: int) -> Path:
    return folder / f"theta_{i:05d}.npy"


def cmd_optimize(args) -> int:
    from . import distributed
    from .progress import Progress
    from .results import RESUME_KEYS, settings_diff
    settings, device, name, model, x, y, idx, theta0, chunk, rank, size = _setup(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": "optimize", "model": name, "norm": args.norm, "method": args.method, "sigma": args.sigma,
            "theta0": theta0, "seed": args.seed, "settings": settings.as_dict(),
            "uniform_convention": args.uniform_convention, "precision": args.precision,
            "channels_last": args.channels_last, "device": str(device), "world_size": size}
    meta_path = out / "settings.json"
    if meta_path.is_file() and any(out.glob("theta_[0-9]*.npy")):
        diff = settings_diff(json.loads(meta_path.read_text()), meta, RESUME_KEYS)
        if diff:  # every rank reads the same file, so every rank stops here
            raise AncerInputError(f"{out} holds θ made with other settings {diff}; choose another --out or empty it")
    distributed.barrier()  # all ranks have read settings.json before rank 0 rewrites it
    if rank == 0:
        meta_path.write_text(json.dumps(meta, indent=2))
    todo = [i for i in idx if not _theta_path(out, i).is_file()]
    bar = Progress(len(idx), f"optimize {args.method}")
    bar.update(len(idx) - len(todo))
    for s in range(0, len(todo), chunk):
        part = todo[s:s + chunk]
        res = _optimize(args, model, x[part].to(device), settings, theta0, part)
        theta = res[args.method].cpu().numpy().astype(np.float32)
        iso = res["isotropic-dd"].cpu().numpy().astype(np.float32) if "isotropic-dd" in res else None
        for k, i in enumerate(part):
            if iso is not None and args.method == "ancer":
                np.save(out / f"theta_iso_{i:05d}.npy", iso[k])
            tmp = out / f".tmp_{i:05d}.npy"
            np.save(tmp, theta[k])
            tmp.replace(_theta_path(out, i))
        bar.update(len(idx) - len(todo) + s + len(part))
    print(f"wrote θ for {len(idx)} images to {out}", file=sys.stderr)
    return 0


def _load_thetas(folder: Path, part: list[int]) -> torch.Tensor:
    arrs = []
    for i in part:
        p = _theta_path(folder, i)
        if not p.is_file():
            raise AncerInputError(f"--thetas {folder}: no θ for image {i} ({p.name}); run `optimize` for these indices")
        arrs.append(np.load(p))
    return torch.from_numpy(np.stack(arrs)).float()


THETA_KEYS = ("model", "norm", "method", "sigma", "uniform_convention")


def _check_thetas(args, model_name: str) -> dict | None:
    """The settings of the `optimize` run behind --thetas; refuses θ made for another model, norm,
    method, σ or uniform convention (the rows would describe θ that is not what they used)."""
    path = Path(args.thetas) / "settings.json"
    if not path.is_file():
        print(f"warning: {path} is missing; cannot check that these θ were made for this model and method",
              file=sys.stderr)
        return None
    from .results import RESUME_KEYS, settings_diff
    made = json.loads(path.read_text())
    want = {"model": model_name, "norm": args.norm, "method": args.method, "sigma": args.sigma,
            "uniform_convention": args.uniform_convention}
    diff = settings_diff(made, want, {k: RESUME_KEYS[k] for k in THETA_KEYS})
    if diff:
        said = ", ".join(f"{k}: {a!r}, here {b!r}" for k, (a, b) in diff.items())
        raise AncerInputError(f"--thetas {args.thetas} was optimized with other settings ({said}); certify with "
                              "the same --model, --norm, --method, --sigma and --uniform-convention")
    return made


def cmd_certify(args) -> int:
    from .memory import CertificationMemory
    from .progress import Progress
    from .results import ResultWriter, format_row
    from .smoothing import SamplingConfig, certify
    if args.thetas and args.method == "fixed":
        raise AncerInputError("--thetas is for --method isotropic-dd or ancer; fixed uses --sigma")
    if args.thetas and not Path(args.thetas).is_dir():
        raise AncerInputError(f"--thetas {args.thetas!r} is not a folder written by `optimize`")
    if args.batch != "auto" and not str(args.batch).isdigit():
        raise AncerInputError(f"--batch {args.batch!r}; use a positive integer or auto")
    from . import distributed
    settings, device, name, model, x, y, idx, theta0, chunk, rank, size = _setup(args)
    theta_meta = _check_thetas(args, name) if args.thetas else None
    cfg = SamplingConfig(noise_batch=args.noise_batch, max_batch=args.batch if args.batch == "auto" else int(args.batch),
                         autocast_dtype=PRECISIONS[args.precision], channels_last=args.channels_last)
    meta = {"command": " ".join(sys.argv), "model": name, "model_card": getattr(model, "card", {}), "norm": args.norm,
            "method": args.method, "sigma": args.sigma, "theta0": theta0, "N0": settings.n0, "N": settings.n,
            "alpha": settings.alpha, "seed": args.seed, "settings": settings.as_dict(), "memory": args.memory,
            "uniform_convention": args.uniform_convention, "thetas": args.thetas, "thetas_settings": theta_meta,
            "indices": args.indices,
            "device": str(device), "torch": str(torch.__version__), "precision": args.precision,
            "channels_last": args.channels_last,
            "cuda_tf32": (torch.backends.cudnn.allow_tf32 if device.type == "cuda" else None),
            "min_sigma_meaning": "min θ: σ (Gaussian) or uniform half-width λ"}
    meta["rank"], meta["world_size"] = rank, size
    writer = ResultWriter(distributed.shard_path(args.out, rank, size), meta)
    memory = CertificationMemory(args.norm, int(np.prod(x.shape[1:]))) if args.memory else None
    todo = [i for i in idx if i not in writer.done]
    if memory is not None and writer.done:
        _restore_memory(memory, args, x, writer, theta0)
    bar = Progress(len(idx), f"certify {args.method}")
    bar.update(len(idx) - len(todo))
    try:
        for s in range(0, len(todo), chunk):
            part = todo[s:s + chunk]
            xb = x[part].to(device)
            if args.method == "fixed":
                theta = theta0
            elif args.thetas:
                theta = _load_thetas(Path(args.thetas), part).to(device)
            else:
                theta = _optimize(args, model, xb, settings, theta0, part)[args.method]
            t0 = time.time()
            certs = certify(model, xb, theta, args.norm, settings.n0, settings.n, settings.alpha, seed=args.seed,
                            indices=part, config=cfg)
            per = (time.time() - t0) / len(part)
            for k, (i, cert) in enumerate(zip(part, certs)):
                if memory is not None:
                    cert = memory.admit(xb[k].cpu().numpy(), cert)
                writer.write(format_row(i, int(y[i]), cert, per))
            bar.update(len(idx) - len(todo) + s + len(part))
    finally:
        writer.close()
    if memory is not None:
        print(f"memory-based certification: {memory.revised} of {memory.size} certificates revised", file=sys.stderr)
    if size > 1:
        distributed.barrier()
        if rank == 0:
            distributed.merge(args.out, size)
        distributed.barrier()
    print(f"wrote {args.out}" if rank == 0 else f"rank {rank}: shard done", file=sys.stderr)
    return 0


def _restore_memory(memory, args, x, writer, theta0) -> None:
    """Rebuild the memory from the rows of an interrupted run (in the order they were written)."""
    from .results import read_results
    if args.method != "fixed" and not args.thetas:
        raise AncerInputError("resuming a --memory run needs the θ of the finished rows: run `optimize` and pass --thetas")
    t = read_results(writer.path)
    for k in range(len(t)):
        i, pred, rad, ms = int(t["idx"][k]), int(t["predict"][k]), t["radius"][k], t["min_sigma"][k]
        if pred < 0:
            continue
        th = np.load(_theta_path(Path(args.thetas), i)) if args.thetas and args.method != "fixed" else theta0
        memory.store(x[i].numpy(), th, rad / ms if ms > 0 else 0.0, pred)


def cmd_analyze(args) -> int:
    from .results import accuracy_table, read_results, superset_table
    files = {}
    for f in args.files:
        key = Path(f).stem
        while key in files:
            key += "'"
        files[key] = read_results(f)
    print("Certified accuracy (%) at radius r (radius = min θ·gap, the largest enclosed isotropic ℓp ball);")
    print("ACR = mean radius·[correct]; ACR~ = mean proxy radius·[correct] (Tables 1/2)\n")
    print(accuracy_table(files, args.radii))
    print("\nCertified accuracy (%) at proxy radius R~ (volume-based, §5)\n")
    from .results import certified_accuracy
    head = "method".ljust(28) + "".join(f"{r:>8g}" for r in args.radii)
    print(head + "\n" + "-" * len(head))
    for n, t in files.items():
        print(n[:27].ljust(28) + "".join(f"{100 * a:8.1f}" for a in certified_accuracy(t, args.radii, "radius_proxy")))
    if len(files) > 1:
        ref = Path(args.reference).stem if args.reference else list(files)[-1]
        if ref not in files:
            raise AncerInputError(f"--reference {args.reference!r} is not one of the files")
        print("\nSuperset analysis (Tables 4/5)\n")
        print(superset_table(files, ref))
    return 0


def cmd_models(args) -> int:
    from .models import ARCH_NOTES, shipped_models
    cards = shipped_models()
    if not cards:
        print("no shipped models found")
    for name, c in cards.items():
        ev = c.get("evaluation", {})
        acc = ev.get("certified_accuracy", {})
        print(f"{name}: {c['arch']}, {c['noise']} noise σ={c['sigma']:g} (θ={c['theta']:.4g}, {c['theta_meaning']}), "
              f"{c['training']['epochs']} epochs, {c.get('wall_time_s', '?')} s on {c.get('hardware', '?')}")
        if ev:
            print(f"    smoothed accuracy {100 * ev['smoothed_accuracy']:.1f}% on {ev['images']} test images "
                  f"(N0={ev['N0']}, N={ev['N']}, α={ev['alpha']}); certified: " +
                  ", ".join(f"r={r}: {100 * v:.1f}%" for r, v in acc.items()))
    print("\narchitectures: " + "; ".join(f"{k} — {v}" for k, v in ARCH_NOTES.items()))
    return 0


def cmd_train(args) -> int:
    from .train import TrainConfig, train
    device = _device(args.device)
    cfg = TrainConfig(arch=args.arch, noise=args.noise, sigma=args.sigma, epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, stability_weight=args.stability, seed=args.seed,
                      max_train=args.max_train, max_steps=args.max_steps, data_root=args.data_root)
    card = train(cfg, args.out, str(device), log=lambda *a: print(*a, file=sys.stderr))
    print(json.dumps(card, indent=2))
    return 0


COMMANDS = {"optimize": cmd_optimize, "certify": cmd_certify, "analyze": cmd_analyze, "models": cmd_models,
            "train": cmd_train}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AncerInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the output file holds every row finished so far; run the same command to resume",
              file=sys.stderr)
        return 130
