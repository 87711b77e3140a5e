"""The commands and scripts that make the shipped results, run end to end at tiny settings."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ancer_core as ac
from ancer_core.cli import main as cli
from ancer_core.data import load_grid, load_thetas

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("small-gaussian-0.25" not in ac.shipped_models(), reason="no shipped model"),
]


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_the_grid_command_writes_resumes_and_analyzes(tmp_path, capsys):
    argv = ["-m", "ancer_core", "grid", "--models", "small-gaussian-0.25", "--preset", "quick"]
    argv += ["--indices", "0:2", "--chunk", "2", "--out", str(tmp_path)]
    first = run(*argv)
    assert first.returncode == 0, first.stderr[-3000:]
    grid = load_grid(tmp_path)
    g = grid["small-gaussian-0.25"]
    assert set(g.tables) == {"fixed", "isotropic-dd", "ancer"}
    assert all(list(t["idx"]) == [0, 1] for t in g.tables.values())
    assert g.meta["ancer"]["N"] == ac.PRESETS["quick"].n and g.meta["ancer"]["precision"] == "fp32"
    idx, thetas = load_thetas(g)
    assert list(idx) == [0, 1] and thetas.shape == (2, 3, 32, 32) and (thetas > 0).all()
    # ANCER's kept θ is the one it certified with: its smallest entry is the file's min_sigma
    assert np.allclose(thetas.reshape(2, -1).min(1), g.tables["ancer"]["min_sigma"], rtol=1e-5)
    again = run(*argv)  # nothing left to do: no row is written twice
    assert again.returncode == 0, again.stderr[-3000:]
    assert all(len(t) == 2 for t in load_grid(tmp_path)["small-gaussian-0.25"].tables.values())
    assert cli(["analyze", "--grid", str(tmp_path), "--radii", "0", "0.25"]) == 0
    assert "Table 1 (Gaussian" in capsys.readouterr().out
    # files of another network under the same name (a retrained model): refused, with the way out
    meta = tmp_path / "small-gaussian-0.25" / "fixed.tsv.json"
    meta.write_text(meta.read_text().replace(g.meta["fixed"]["weights_sha256"], "0" * 64))
    other = run(*[a if a != "0:2" else "0:3" for a in argv])
    assert other.returncode == 2 and "weights_sha256" in other.stderr and "delete" in other.stderr
    assert "Traceback" not in other.stderr and len(load_grid(tmp_path)["small-gaussian-0.25"].tables["fixed"]) == 2


def test_the_grid_command_refuses_an_unknown_model_a_flag_of_one_method_and_no_chunk():
    unknown = run("-m", "ancer_core", "grid", "--models", "no-such-model", "--indices", "0:1")
    assert unknown.returncode == 2 and "not shipped" in unknown.stderr and "small-gaussian-0.25" in unknown.stderr
    short = run("-m", "ancer_core", "grid", "--iterations", "3")  # it stands for one --method's optimizer
    assert short.returncode == 2 and "--iterations" in short.stderr and "Traceback" not in short.stderr
    chunk = run("-m", "ancer_core", "grid", "--models", "small-gaussian-0.25", "--chunk", "0")
    assert chunk.returncode == 2 and "--chunk=0 must be an integer ≥ 1" in chunk.stderr
    # the precision flags are certify's: every precision offered, and one this device lacks refused in words
    on_cpu = ("-m", "ancer_core", "grid", "--models", "small-gaussian-0.25", "--device", "cpu")
    fp16 = run(*on_cpu, "--optimizer-precision", "fp16")
    assert fp16.returncode == 2 and "fp16 needs a CUDA device" in fp16.stderr and "Traceback" not in fp16.stderr


def test_the_grid_in_table_mode_is_read_by_analyze_and_the_results_page(tmp_path, capsys, monkeypatch):
    """A table-mode grid (sequential CERTIFY deciding the table's radii): its files are read like fixed-N ones,
    with the samples each image drew, by `analyze --grid` and by the results page."""
    from conftest import open_page

    argv = ["-m", "ancer_core", "grid", "--models", "small-gaussian-0.25", "--preset", "quick", "--indices", "0:3"]
    made = run(*argv, "--chunk", "3", "--N", "1024", "--radii", "0,0.25,0.5", "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr[-3000:]
    assert "estimation samples:" in made.stdout and "certified accuracy (%)" in made.stdout
    g = load_grid(tmp_path)["small-gaussian-0.25"]
    for t in g.tables.values():
        assert len(t) == 3 and ((t["samples"] >= 128) & (t["samples"] <= 1024)).all()
    assert cli(["analyze", "--grid", str(tmp_path), "--radii", "0", "0.25", "0.5"]) == 0
    said = capsys.readouterr().out
    assert "table mode at radii 0, 0.25, 0.5; at most N = 1,024 each" in said and "Estimation samples drawn" in said
    assert "Table mode: every image drew samples only until the radii 0, 0.25, 0.5 were decided" in said
    monkeypatch.setenv("ANCER_RESULTS", str(tmp_path))
    at = open_page("results", 180)
    at.radio(key="results_source").set_value("small-gaussian-0.25").run()
    assert not at.exception, at.exception
    spent = next(d.value for d in at.dataframe if "× fewer than N" in d.value.columns)
    assert list(spent["images"]) == [3, 3, 3] and "table mode at radii" in " ".join(m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "@0.25" in d.value.columns)
    assert "ACR" not in table.columns and "@0.75" not in table.columns  # only the radii table mode decided
