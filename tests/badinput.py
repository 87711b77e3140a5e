"""What the bad-input tests share: the error contract's words of advice, a pickle that proves a loader ran
code, the work folder of bad files, and how a command's refusal is checked (docs/conventions.md, "Errors")."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from ancer_core.cli import main
from ancer_core.data.results import HEADER
from ancer_core.models import build_model, save_checkpoint

# words of an instruction: a message that names the problem but not the way out fails the contract
ADVICE = (
    "use",
    "give",
    "choose",
    "delete",
    "run ",
    "restore",
    "must",
    "wait",
    "add",
    "train",
    "download",
    "convert",
    "divide",
    "regenerate",
    "remove",
    "pass",
    "save",
    "place",
    "draw",
    "resize",
    "make",
    "free",
    "valid choice",
    "invalid",
    "expected",
)


class Planted:
    """Unpickling this creates ``marker``: the proof that a loader ran code from a file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def make_work(d: Path) -> Path:
    """Files the cases point at, in ``d``: a tiny checkpoint, a NaN one, planted pickles, broken θ folders
    (the ``work`` fixture of conftest.py)."""
    torch.manual_seed(0)
    model = build_model("small-cnn").eval()
    save_checkpoint(model, "small-cnn", {"note": "random init, for tests"}, d / "tiny.pt")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    save_checkpoint(model, "small-cnn", {"note": "NaN weights, as a diverged training leaves them"}, d / "nan.pt")
    torch.save({"arch": "small-cnn", "state_dict": {"x": Planted(d / "RAN-checkpoint")}}, d / "evil.pt")
    (d / "text.pt").write_text("not a checkpoint\n")
    state = build_model("small-cnn").state_dict()
    torch.save({"arch": "small-cnn", "state_dict": dict(state, extra="a string, not a tensor")}, d / "nontensor.pt")
    torch.save({"arch": "small-cnn", "state_dict": state, "card": "a card as a string"}, d / "strcard.pt")
    torch.save([1, 2, 3], d / "list.pt")
    (d / "a-file").write_text("a file, not a folder\n")
    (d / "folder").mkdir()
    # θ folders: corrupt settings, an object array planted as θ, a negative θ
    for name in ("thetas-corrupt", "thetas-object", "thetas-negative", "thetas-nosettings"):
        (d / name).mkdir()
    (d / "thetas-corrupt" / "settings.json").write_text("{not json")
    good = {"model": str(d / "tiny.pt"), "norm": "l2", "method": "ancer", "sigma": 0.25, "uniform_convention": "std"}
    for name in ("thetas-object", "thetas-negative"):
        (d / name / "settings.json").write_text(json.dumps(good))
    np.save(d / "thetas-object" / "theta_00000.npy", np.array([Planted(d / "RAN-npy")], dtype=object))
    np.save(d / "thetas-negative" / "theta_00000.npy", -np.ones((3, 32, 32), np.float32))
    np.save(d / "thetas-nosettings" / "theta_00000.npy", np.ones((3, 32, 32), np.float32))
    # result files that cannot be certificates
    row = "0\t3\t3\t0.5\t0.5\t1\t0.25\t0.1\t0.9\t2"
    bad_rows = {
        "nan-radius": row.replace("\t0.5\t0.5\t", "\tnan\t0.5\t"),
        "negative-radius": row.replace("\t0.5\t0.5\t", "\t-0.5\t0.5\t"),
        "inf-radius": row.replace("\t0.5\t0.5\t", "\tinf\tinf\t"),
        "wrong-correct": "0\t3\t5\t0.5\t0.5\t1\t0.25\t0.1\t0.9\t2",
        "duplicate": row + "\n" + row,
        "p-lower": row.replace("\t0.9\t", "\t1.5\t"),
        "zero-theta": row.replace("\t0.25\t", "\t0\t"),
    }
    for name, body in bad_rows.items():
        (d / f"{name}.tsv").write_text(HEADER + "\n" + body + "\n")
    (d / "not-results.tsv").write_text("a\tb\n1\t2\n")
    # CIFAR-10 lookalikes: 64×64 JPEGs, a tar that is not one, a release folder with planted pickles
    big = d / "big" / "test" / "airplane"
    big.mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (64, 64), (120, 30, 200)).save(big / "0000.jpg")
    (d / "big" / "train").mkdir()
    (big.parent.parent / "train" / "airplane").mkdir()
    Image.new("RGB", (64, 64), (120, 30, 200)).save(big.parent.parent / "train" / "airplane" / "0000.jpg")
    (d / "fake.tar.xz").write_bytes(b"\x00not a tar archive" * 10)
    rel = d / "release" / "cifar-10-batches-py"
    rel.mkdir(parents=True)
    for f in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"):
        torch.save(Planted(d / "RAN-cifar"), rel / f)  # a pickle where torchvision looks
    (rel / "batches.meta").write_bytes(b"")
    # training: a planted resume state
    (d / "train").mkdir()
    torch.save({"config": {}, "x": Planted(d / "RAN-partial")}, d / "train" / "m.partial")
    return d


def snapshot(d: Path) -> dict:
    """Every file's size, time and hash, and every folder (a folder's own time moves with a lock taken and
    given back, which leaves no file behind): equal before and after a refused run."""
    return {
        str(p.relative_to(d)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        if p.is_file()
        else "folder"
        for p in sorted(d.rglob("*"))
    }


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    return code, capsys.readouterr().err


def check_message(err: str, expect: tuple[str, ...]) -> str:
    """The contract on a command's stderr: no traceback, one line that says error and holds ``expect``."""
    assert "Traceback" not in err, err
    line = next((ln for ln in err.splitlines() if "error:" in ln), None)
    assert line is not None, err
    message = line.split("error:", 1)[1]
    for word in expect:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    assert any(a in message.lower() for a in ADVICE), f"no advice in {message!r}"
    return message


CERTIFY = "certify --model {d}/tiny.pt --norm l2 --method fixed --sigma 0.25 --N0 4 --N 16 --device cpu --indices 0:2"
OPTIMIZE = "optimize --model {d}/tiny.pt --norm l2 --method ancer --sigma 0.25 --preset quick --device cpu --indices 0"
OUT = " --out {d}/run/out.tsv"
TRAIN = "train --noise gaussian --sigma 0.25 --data-root {d}/big --out {d}/train/m.pt --device cpu"
SIDECAR = json.dumps({"model": "x", "norm": "l2", "method": "fixed", "sigma": 0.5, "N0": 4, "N": 16, "alpha": 0.001})
ROW = "0\t3\t3\t0.5\t0.5\t1\t0.25\t0.1\t0.9\t2\n"
