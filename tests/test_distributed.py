"""`certify` under torchrun with two CPU processes (gloo) gives the rows of a single process."""
import os
import subprocess
import sys

from ancer_core.cli import main
from ancer_core.results import read_results


def _args(ckpt, out):
    return ["certify", "--model", str(ckpt), "--norm", "l2", "--method", "isotropic-dd", "--sigma", "0.25",
            "--indices", "0:7", "--N0", "4", "--N", "48", "--alpha", "0.01", "--iterations", "3",
            "--samples", "4", "--device", "cpu", "--out", str(out), "--chunk", "2"]


def test_torchrun_two_processes_match_one_process(tmp_path):
    import torch

    from ancer_core.models import build_model
    from ancer_core.train import save_checkpoint
    torch.manual_seed(0)
    ckpt = tmp_path / "m.pt"
    save_checkpoint(build_model("small-cnn"), "small-cnn", {"noise": "gaussian", "sigma": 0.25}, ckpt)
    single = tmp_path / "single.tsv"
    assert main(_args(ckpt, single)) == 0
    multi = tmp_path / "multi.tsv"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        "-m", "ancer_core", *_args(ckpt, multi)], env=env, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = read_results(single), read_results(multi)
    assert b["idx"].tolist() == list(range(7))
    for col in ("idx", "label", "predict", "radius", "radius_proxy", "correct", "min_sigma", "p_lower", "gap"):
        assert a[col].tolist() == b[col].tolist(), col
    assert (tmp_path / "multi.shard0of2.tsv").is_file() and (tmp_path / "multi.shard1of2.tsv").is_file()
    assert "distributed" in (tmp_path / "multi.tsv.json").read_text()
