"""Running `certify` under torchrun (torch.distributed): disjoint shards, one merged file.

Each rank takes the indices idx[rank::world] and writes its own resumable shard file
(FILE.shard{rank}of{world}.tsv, with its settings beside it); after a barrier, rank 0 merges the
shards into FILE in index order. Because every image's noise comes from its own generator seeded
by (seed, index) (:func:`ancer_core.core.smoothing.image_seed`), the merged rows are those a single
process writes. Backend: NCCL on CUDA (one GPU per rank, ``LOCAL_RANK``), gloo on CPU.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
import torch.distributed as dist

from ..data.records import read_settings, settings_path


def world() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) outside torchrun."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def init(device: torch.device) -> torch.device:
    """Join the process group when launched by torchrun; returns this rank's device."""
    rank, size = world()
    if size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def shard_path(out: str | Path, rank: int, size: int) -> Path:
    out = Path(out)
    return out.with_name(f"{out.stem}.shard{rank}of{size}{out.suffix}") if size > 1 else out


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def merge(out: str | Path, size: int) -> Path:
    """Merge the shard files of ``out`` into ``out`` sorted by index (rank 0, after the barrier)."""
    out = Path(out)
    header, rows = None, []
    for r in range(size):
        lines = shard_path(out, r, size).read_text(encoding="utf-8").splitlines()
        header = lines[0]
        rows += [ln for ln in lines[1:] if ln.strip()]
    rows.sort(key=lambda ln: int(ln.split("\t", 1)[0]))
    out.write_text(header + "\n" + "".join(ln + "\n" for ln in rows), encoding="utf-8")
    meta = read_settings(shard_path(out, 0, size))
    meta["distributed"] = {"world_size": size, "shards": [shard_path(out, r, size).name for r in range(size)]}
    settings_path(out).write_text(json.dumps(meta, indent=2, default=str))
    return out
