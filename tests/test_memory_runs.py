"""Memory-based certification over whole runs: an interrupted ``certify --memory`` resumes with the
memory it had, the replay over a finished file equals ``certify --memory``, fixed σ is never revised.

The sequence is built so that the memory matters: image 0's large region (class 1) holds image 1,
whose own θ is large along channels 1–2; the memory gives image 1 image 0's θ. Image 2 lies outside
both true regions but inside image 1's region *with image 1's own θ* — so a memory rebuilt from each
row's own θ revises image 2 into class 1, where nothing certified it.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

import ancer_core.cli.common as common
from ancer_core.cli import main
from ancer_core.data import (
    load_grid,
    read_results,
    read_settings,
    replay_memory,
    revised_rows,
    save_theta,
    theta_source,
)

SHAPE = (3, 4, 4)


class ChannelEnergy(torch.nn.Module):
    """Class 1 when channel 0 is far from ½ (mean squared offset, magnified 10×, > 0.3), else class 0.
    The magnification keeps the constructed images inside [0, 1] pixel space."""

    def forward(self, x):
        e = ((10 * (x[:, 0] - 0.5)) ** 2).flatten(1).mean(1)
        return torch.stack([torch.zeros_like(e), 10 * (e - 0.3)], 1)


def sequence() -> tuple[torch.Tensor, list[np.ndarray]]:
    x = torch.full((3, *SHAPE), 0.5)
    d1 = torch.zeros(SHAPE)
    d1[1, 0, 0] = 0.02
    x[1] += d1
    x[2] += d1
    x[2, 1, 1, 1] += 0.25  # 0.25 from image 1 along channel 1: outside image 0's ball of radius ≈ 0.148
    big = np.full(SHAPE, 0.005, np.float32)
    big[1:] = 0.3
    thetas = [np.full(SHAPE, 0.1, np.float32), big, np.full(SHAPE, 0.005, np.float32)]
    return x, thetas


@pytest.fixture
def constructed(tmp_path, monkeypatch):
    x, thetas = sequence()
    monkeypatch.setattr(common, "load_cifar10", lambda split, root=None: (x, torch.tensor([1, 1, 0])))
    monkeypatch.setattr(common, "load_model", lambda name, device: ChannelEnergy().eval())
    folder = tmp_path / "thetas"
    folder.mkdir()
    for i, th in enumerate(thetas):
        save_theta(folder, i, th)
    return x, folder


def certify(out: Path, thetas: Path, indices: str, memory: bool) -> int:
    argv = ["certify", "--model", "energy", "--norm", "l2", "--method", "ancer", "--sigma", "0.25"]
    argv += ["--thetas", str(thetas), "--indices", indices, "--N0", "16", "--N", "64", "--alpha", "0.01"]
    argv += ["--device", "cpu", "--out", str(out)] + (["--memory"] if memory else [])
    return main(argv)


def test_resumed_memory_run_equals_the_uninterrupted_one(constructed, tmp_path):
    _, thetas = constructed
    whole, parts = tmp_path / "whole.tsv", tmp_path / "parts.tsv"
    assert certify(whole, thetas, "0:3", memory=True) == 0
    t = read_results(whole)
    assert t["predict"].tolist() == [1, 1, 0]  # image 1 revised into image 0's region, image 2 kept its class
    assert t["theta_of"].tolist() == [0, 0, 2]
    assert certify(parts, thetas, "0:2", memory=True) == 0  # as if killed after two rows
    assert certify(parts, thetas, "0:3", memory=True) == 0  # resumed
    resumed = read_results(parts)
    for k in t.columns:
        if k != "time":  # CERTIFY's seconds differ from run to run
            np.testing.assert_array_equal(resumed[k], t[k], err_msg=k)


def test_memory_file_refuses_a_plain_run_and_back(constructed, tmp_path, capsys):
    _, thetas = constructed
    out = tmp_path / "r.tsv"
    assert certify(out, thetas, "0:2", memory=True) == 0
    assert certify(out, thetas, "0:3", memory=False) == 2
    assert "memory-based and plain runs, sequential and fixed sampling, never share a file" in capsys.readouterr().err


def test_replay_equals_certify_with_memory(constructed, tmp_path):
    x, thetas = constructed
    plain, mem = tmp_path / "plain.tsv", tmp_path / "mem.tsv"
    assert certify(plain, thetas, "0:3", memory=False) == 0
    assert certify(mem, thetas, "0:3", memory=True) == 0
    t, meta = read_results(plain), read_settings(plain)
    replayed = replay_memory(t, meta, x.numpy(), theta_source("ancer", meta, t, thetas))
    assert revised_rows(t, replayed).sum() == 1
    expected = read_results(mem)
    for k in expected.columns:  # the file keeps 6 significant digits
        if k != "time":
            np.testing.assert_allclose(replayed[k], expected[k], rtol=5e-6, equal_nan=True, err_msg=k)


def test_fixed_sigma_is_never_revised(tmp_path):
    """Fixed σ is one smoothed classifier: its valid certificates never overlap in different classes,
    so the memory revises none — on the shipped grid's fixed-σ files, replayed in their order."""
    import ancer_core as ac

    root = Path(__file__).resolve().parents[1] / "results"
    grid = load_grid(root)
    assert grid, "the shipped results grid is missing"
    images = ac.load_cifar10("test")[0].numpy()
    for g in grid.values():
        t, meta = g.tables["fixed"], g.meta["fixed"]
        replayed = replay_memory(t, meta, images, theta_source("fixed", meta, t, None))
        assert not revised_rows(t, replayed).any(), g.name


def test_a_file_without_rows_takes_the_columns_of_the_run(tmp_path):
    from ancer_core.data.results import HEADER, ResultWriter

    out = tmp_path / "r.tsv"
    out.write_text(HEADER + "\n")  # a plain run killed before its first row
    writer = ResultWriter(out, {"method": "ancer"}, memory=True)
    assert out.read_text() == HEADER + "\n" and not (tmp_path / "r.tsv.json").exists()  # nothing before a row
    writer.write("0\t3\t3\t0.1\t0.1\t1\t0.25\t0.5\t0.7\t0.4\t0")
    writer.close()
    assert read_results(out).columns.keys() >= {"theta_of"}


def test_sort_rows_puts_a_resumed_run_in_test_order_and_leaves_memory_files_alone(constructed, tmp_path):
    """A run extended out of order (image 2 first) reads, once sorted, as the uninterrupted run:
    same lines in test order, so its memory reading is the uninterrupted run's."""
    from ancer_core.core.validation import AncerInputError
    from ancer_core.data import sort_rows

    x, thetas = constructed
    whole, parts = tmp_path / "whole.tsv", tmp_path / "parts.tsv"
    assert certify(whole, thetas, "0:3", memory=False) == 0
    assert certify(parts, thetas, "2:3", memory=False) == 0
    assert certify(parts, thetas, "0:3", memory=False) == 0
    assert read_results(parts)["idx"].tolist() == [2, 0, 1]
    assert sort_rows(parts) and not sort_rows(parts)  # changed once, then already in order
    a, b = read_results(whole), read_results(parts)
    for k in a.columns:
        if k != "time":
            np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    meta = read_settings(parts)
    replayed = replay_memory(b, meta, x.numpy(), theta_source("ancer", meta, b, thetas))
    assert revised_rows(b, replayed).sum() == 1  # as the uninterrupted file's replay
    mem = tmp_path / "mem.tsv"
    assert certify(mem, thetas, "0:3", memory=True) == 0
    with pytest.raises(AncerInputError, match="row order is its result"):
        sort_rows(mem)
