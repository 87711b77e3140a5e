"""`certify` and `optimize` under torchrun with two CPU processes (gloo) give the results of a
single process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ancer_core.cli import main
from ancer_core.data.results import read_results


def _args(ckpt_with_card, out, command="certify"):
    extra = ["--N0", "4", "--N", "48", "--alpha", "0.01"] if command == "certify" else []
    return [
        command,
        "--model",
        str(ckpt_with_card),
        "--norm",
        "l2",
        "--method",
        "isotropic-dd",
        "--sigma",
        "0.25",
        "--indices",
        "0:7",
        *extra,
        "--iterations",
        "3",
        "--samples",
        "4",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--chunk",
        "2",
    ]


def _torchrun(args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "ancer_core",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.slow
def test_torchrun_two_processes_match_one_process(tmp_path, ckpt_with_card):
    single = tmp_path / "single.tsv"
    assert main(_args(ckpt_with_card, single)) == 0
    multi = tmp_path / "multi.tsv"
    _torchrun(_args(ckpt_with_card, multi))
    a, b = read_results(single), read_results(multi)
    assert b["idx"].tolist() == list(range(7))
    for col in ("idx", "label", "predict", "radius", "radius_proxy", "correct", "min_sigma", "p_lower", "gap"):
        assert a[col].tolist() == b[col].tolist(), col
    assert (tmp_path / "multi.shard0of2.tsv").is_file() and (tmp_path / "multi.shard1of2.tsv").is_file()
    assert "distributed" in (tmp_path / "multi.tsv.json").read_text()


@pytest.mark.slow
def test_optimize_under_torchrun_writes_the_theta_of_one_process(tmp_path, ckpt_with_card):
    single, multi = tmp_path / "single", tmp_path / "multi"
    assert main(_args(ckpt_with_card, single, "optimize")) == 0
    _torchrun(_args(ckpt_with_card, multi, "optimize"))
    names = sorted(p.name for p in single.glob("theta_*.npy"))
    assert names == [f"theta_{i:05d}.npy" for i in range(7)]
    assert sorted(p.name for p in multi.glob("theta_*.npy")) == names
    for n in names:
        np.testing.assert_array_equal(np.load(multi / n), np.load(single / n))
    assert json.loads((multi / "settings.json").read_text())["world_size"] == 2
