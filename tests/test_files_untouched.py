"""A refused command changes nothing and leaves nothing (the folder's names, sizes and hashes are the same
before and after), and one writer per output whatever name it is reached by (docs/conventions.md, "Errors")."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from badinput import CERTIFY, run_cli, snapshot

import ancer_core as ac
from ancer_core.data.files import OutputLock


def theta_folder(path: Path, work: Path, theta: np.ndarray, indices=(0, 1)) -> Path:
    path.mkdir(parents=True)
    good = {"model": str(work / "tiny.pt"), "norm": "l2", "method": "ancer", "sigma": 0.25, "uniform_convention": "std"}
    (path / "settings.json").write_text(json.dumps(good))
    for i in indices:
        np.save(path / f"theta_{i:05d}.npy", theta)
    return path


@pytest.fixture
def finished(work, tmp_path, capsys):
    """A folder with a finished memory-based ANCER result (θ from an `optimize` folder) and a fixed one."""
    run = tmp_path / "r"
    thetas = theta_folder(tmp_path / "thetas", work, np.full((3, 32, 32), 0.25, np.float32))
    certify = CERTIFY.format(d=work).replace("--method fixed", "--method ancer")
    code, err = run_cli(shlex.split(certify + f" --memory --thetas {thetas} --out {run}/memancer.tsv"), capsys)
    assert code == 0, err
    code, err = run_cli(shlex.split(CERTIFY.format(d=work) + f" --out {run}/fixed.tsv"), capsys)
    assert code == 0, err
    return tmp_path


CASES = {
    # resuming a memory run without the θ of its finished rows: refused before its settings file is touched
    "memory-without-thetas": "--method ancer --memory --indices 0:3 --out {r}/memancer.tsv",
    # θ that cannot be certified, refused at the first image: no header-only output, no settings file
    "theta-empty": "--method ancer --thetas {t}/empty --out {r}/new/empty.tsv",
    "theta-huge": "--method ancer --thetas {t}/huge --out {r}/new/huge.tsv",
    "theta-one-channel": "--method ancer --thetas {t}/one-channel --out {r}/new/one.tsv",
    "theta-mixed-shapes": "--method ancer --thetas {t}/mixed --out {r}/new/mixed.tsv",
    "sigma-huge": "--sigma 1e300 --out {r}/new/sigma.tsv",
    "sigma-tiny": "--sigma 1e-300 --out {r}/new/tiny.tsv",
    "other-settings": "--N 32 --out {r}/fixed.tsv",
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_run_changes_nothing_and_leaves_nothing(case, finished, work, capsys):
    t = finished / "t"
    theta_folder(t / "empty", work, np.zeros((0,), np.float32))
    theta_folder(t / "huge", work, np.full((3, 32, 32), 1e300))
    theta_folder(t / "one-channel", work, np.full((1, 32, 32), 0.25, np.float32))
    np.save(theta_folder(t / "mixed", work, np.full((3, 32, 32), 0.25, np.float32)) / "theta_00001.npy", np.ones(1))
    before = snapshot(finished)
    argv = CERTIFY.format(d=work).replace("--method fixed ", "").replace("--sigma 0.25", "")
    extra = CASES[case].format(r=finished / "r", t=t)
    if "--sigma" not in extra:
        extra += " --sigma 0.25"
    if "--method" not in extra:
        extra += " --method fixed"
    code, err = run_cli(shlex.split(argv + " " + extra), capsys)
    assert code == 2, err
    assert snapshot(finished) == before, err


def test_one_writer_through_a_symlink_a_dotted_path_and_a_hard_link(tmp_path):
    real = tmp_path / "real.tsv"
    real.write_text("x")
    (tmp_path / "link.tsv").symlink_to(real)
    (tmp_path / "sub").mkdir()
    os.link(real, tmp_path / "hard.tsv")
    with OutputLock(real):
        for other in ("link.tsv", "sub/../real.tsv", "hard.tsv"):
            with pytest.raises(ac.AncerInputError, match="another run is writing"):
                OutputLock(tmp_path / other).acquire()
    with OutputLock(tmp_path / "link.tsv"):  # released: free again, by any name
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.tsv", "link.tsv", "real.tsv", "sub"]


def test_two_certify_runs_through_a_symlink_write_one_set_of_rows(work, tmp_path, capsys):
    """The second run, on the same file by another name, stops while the first holds it."""
    real = tmp_path / "n" / "real.tsv"
    real.parent.mkdir()
    real.write_text("")
    (tmp_path / "n" / "link.tsv").symlink_to(real)
    with OutputLock(real):
        code, err = run_cli(shlex.split(CERTIFY.format(d=work) + f" --out {tmp_path}/n/link.tsv"), capsys)
    assert code == 2 and "another run is writing" in err
    code, err = run_cli(shlex.split(CERTIFY.format(d=work) + f" --out {tmp_path}/n/link.tsv"), capsys)
    assert code == 0, err
    assert ac.read_results(real)["idx"].tolist() == [0, 1]


@pytest.mark.parametrize("content", ["", "garbage \x00\xff", f"{socket.gethostname()} {2**22 + 54321} killed"])
def test_a_lock_no_process_holds_is_taken_over_with_a_message(tmp_path, capsys, content):
    out = tmp_path / "o.tsv"
    lock = tmp_path / "o.tsv.lock"
    lock.write_bytes(content.encode("utf-8", "surrogateescape") if content else b"")
    os.utime(lock, (time.time() - 60, time.time() - 60))  # left by a run that is gone
    with OutputLock(out):
        assert str(os.getpid()) in lock.read_text()
    assert "taking over the lock" in capsys.readouterr().err and not lock.exists()


def test_a_lock_a_live_process_holds_is_never_taken(tmp_path):
    out = tmp_path / "o.tsv"
    with OutputLock(out):
        lock = tmp_path / "o.tsv.lock"
        os.utime(lock, (time.time() - 3600, time.time() - 3600))  # however old
        with pytest.raises(ac.AncerInputError, match="another run is writing"):
            OutputLock(out).acquire()
        assert lock.exists()


def test_a_lock_being_written_right_now_is_not_mistaken_for_an_abandoned_one(tmp_path):
    out = tmp_path / "o.tsv"
    (tmp_path / "o.tsv.lock").write_text("")  # created a moment ago, its owner not yet written
    with pytest.raises(ac.AncerInputError, match="another run is writing"):
        OutputLock(out).acquire()


def test_a_refused_lock_leaves_no_folder_it_made(tmp_path):
    out = tmp_path / "a" / "b" / "o.tsv"
    with OutputLock(out):
        shutil.copy(out.with_name("o.tsv.lock"), tmp_path / "copy")
    assert not (tmp_path / "a").exists()
