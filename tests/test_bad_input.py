"""Bad input, table-driven: the command line (in-process), the Python API and the app.

Every case asserts the error contract of docs/conventions.md ("Errors"): the command exits with status 2
(the API raises :class:`ancer_core.AncerInputError`), the message is one line that names the bad value or
file and says what to do, no traceback is printed, and no file is created or changed.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import socket
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch

import ancer_core as ac
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


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """Files the cases point at: a tiny checkpoint, a NaN one, planted pickles, broken θ folders."""
    d = tmp_path_factory.mktemp("bad")
    torch.manual_seed(0)
    model = build_model("small-cnn").eval()
    save_checkpoint(model, "small-cnn", {"note": "random init, for tests"}, d / "tiny.pt")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    save_checkpoint(model, "small-cnn", {"note": "NaN weights, as a diverged training leaves them"}, d / "nan.pt")
    torch.save({"arch": "small-cnn", "state_dict": {"x": Planted(d / "RAN-checkpoint")}}, d / "evil.pt")
    (d / "text.pt").write_text("not a checkpoint\n")
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
    """Every file's size and time, and every folder (a folder's own time moves with a lock taken and
    given back, which leaves no file behind)."""
    return {
        str(p.relative_to(d)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else "folder"
        for p in d.rglob("*")
    }


@dataclass
class Case:
    """One bad input: the arguments (``{d}`` is the work folder), words the message must hold, and what
    to put in place first (``setup(d)``; removed after the case)."""

    id: str
    argv: str
    expect: tuple[str, ...]
    setup: dict = field(default_factory=dict)  # relative path → text to write before the run


CERTIFY = "certify --model {d}/tiny.pt --norm l2 --method fixed --sigma 0.25 --N0 4 --N 16 --device cpu --indices 0:2"
OPTIMIZE = "optimize --model {d}/tiny.pt --norm l2 --method ancer --sigma 0.25 --preset quick --device cpu --indices 0"
OUT = " --out {d}/run/out.tsv"
TRAIN = "train --noise gaussian --sigma 0.25 --data-root {d}/big --out {d}/train/m.pt --device cpu"
SIDECAR = json.dumps({"model": "x", "norm": "l2", "method": "fixed", "sigma": 0.5, "N0": 4, "N": 16, "alpha": 0.001})
ROW = "0\t3\t3\t0.5\t0.5\t1\t0.25\t0.1\t0.9\t2\n"

CLI_CASES = [
    # numbers where they enter
    Case("sigma-negative", CERTIFY + OUT + " --sigma -1", ("--sigma", "> 0")),
    Case("sigma-zero", CERTIFY + OUT + " --sigma 0", ("--sigma", "> 0")),
    Case("sigma-nan", CERTIFY + OUT + " --sigma nan", ("--sigma", "> 0")),
    Case("sigma-inf", CERTIFY + OUT + " --sigma inf", ("--sigma", "> 0")),
    Case("sigma-text", CERTIFY + OUT + " --sigma abc", ("--sigma", "abc")),
    Case("N-zero", CERTIFY + OUT + " --N 0", ("N=0", "≥ 1")),
    Case("N-negative", CERTIFY + OUT + " --N -3", ("N=-3",)),
    Case("N0-zero", CERTIFY + OUT + " --N0 0", ("N0=0",)),
    Case("N-below-N0", CERTIFY + OUT + " --N0 50 --N 10", ("N=10", "N0=50")),
    Case("N-uncountable", CERTIFY + OUT + f" --N {2**63}", ("N=", "too large")),
    Case("N-years", CERTIFY + OUT + " --N 1000000000000", ("years", "--N")),
    Case("alpha-zero", CERTIFY + OUT + " --alpha 0", ("alpha=0",)),
    Case("alpha-one", CERTIFY + OUT + " --alpha 1", ("alpha=1",)),
    Case("alpha-nan", CERTIFY + OUT + " --alpha nan", ("alpha=nan",)),
    Case("noise-batch-zero", CERTIFY + OUT + " --noise-batch 0", ("--noise-batch=0",)),
    Case("noise-batch-negative", CERTIFY + OUT + " --noise-batch -4", ("--noise-batch=-4",)),
    Case("batch-zero", CERTIFY + OUT + " --batch 0", ("--batch '0'",)),
    Case("batch-text", CERTIFY + OUT + " --batch lots", ("--batch 'lots'",)),
    Case("chunk-zero", CERTIFY + OUT + " --chunk 0", ("--chunk=0",)),
    Case("chunk-negative", CERTIFY + OUT + " --chunk -1", ("--chunk=-1",)),
    Case("seed-negative", CERTIFY + OUT + " --seed -1", ("--seed=-1", "from 0")),
    Case("seed-huge", CERTIFY + OUT + f" --seed {2**64}", ("--seed=", "from 0")),
    Case("skip-zero", CERTIFY + OUT + " --skip 0", ("--skip",)),
    Case("max-negative", CERTIFY + OUT + " --max -1", ("--max",)),
    Case("indices-twice", CERTIFY + OUT + " --indices 0:2,0:2", ("--indices '0:2,0:2'", "more than once")),
    Case("indices-overlap", CERTIFY + OUT + " --indices 0:5,3", ("image 3", "more than once")),
    Case("indices-empty", CERTIFY + OUT + " --indices 5:3", ("selects no image",)),
    Case("indices-past", CERTIFY + OUT + " --indices 0:20000", ("reaches past",)),
    Case("indices-text", CERTIFY + OUT + " --indices first", ("--indices 'first'",)),
    Case("iso-iterations-negative", CERTIFY + OUT + " --method isotropic-dd --iso-iterations -1", ("iso_iterations",)),
    Case("ancer-samples-zero", CERTIFY + OUT + " --method ancer --ancer-samples 0", ("ancer_samples=0",)),
    Case("lr-nan", CERTIFY + OUT + " --method ancer --lr nan", ("ancer_lr=nan",)),
    Case("lr-negative", CERTIFY + OUT + " --method isotropic-dd --iso-lr -0.1", ("iso_lr=-0.1",)),
    Case("kappa-nan", CERTIFY + OUT + " --method ancer --kappa nan", ("kappa=nan",)),
    Case(
        "short-and-long-disagree", CERTIFY + OUT + " --method ancer --iterations 3 --ancer-iterations 5", ("disagree",)
    ),
    Case("theta-max-ratio-below-one", CERTIFY + OUT + " --theta-max-ratio 0.5", ("theta_max_ratio=0.5",)),
    Case("theta-max-ratio-text", CERTIFY + OUT + " --theta-max-ratio big", ("'big'",)),
    Case("temperature-zero", CERTIFY + OUT + " --temperature 0", ("temperature=0",)),
    Case("temperature-nan", CERTIFY + OUT + " --temperature nan", ("temperature=nan",)),
    Case("device-cuda", CERTIFY + OUT + " --device cuda", ("cuda",)),
    Case("device-unknown", CERTIFY + OUT + " --device tpu", ("--device 'tpu'",)),
    Case("precision-fp16-cpu", CERTIFY + OUT + " --precision fp16", ("fp16", "CUDA")),
    Case("norm-unknown", CERTIFY + OUT + " --norm l3", ("l3",)),
    Case("preset-unknown", CERTIFY + OUT + " --preset huge", ("huge",)),
    # models
    Case("model-nan", CERTIFY + OUT + " --model {d}/nan.pt", ("nan.pt", "NaN or infinite weights")),
    Case("model-planted", CERTIFY + OUT + " --model {d}/evil.pt", ("evil.pt", "could not read")),
    Case("model-text", CERTIFY + OUT + " --model {d}/text.pt", ("text.pt",)),
    Case("model-missing", CERTIFY + OUT + " --model {d}/missing.pt", ("missing.pt", "does not exist")),
    Case("model-unknown-name", CERTIFY + OUT + " --model resnet-9000", ("resnet-9000",)),
    # outputs
    Case("out-is-folder", CERTIFY + " --out {d}/folder", ("is a folder",)),
    Case("out-under-file", CERTIFY + " --out {d}/a-file/out.tsv", ("a-file", "is a file")),
    Case("optimize-out-is-file", OPTIMIZE + " --out {d}/a-file", ("is a file",)),
    Case(
        "resume-without-settings",
        CERTIFY + " --out {d}/run/r.tsv",
        ("r.tsv.json", "missing"),
        {"run/r.tsv": HEADER + "\n" + ROW},
    ),
    Case(
        "resume-other-sigma",
        CERTIFY + " --out {d}/run/r.tsv",
        ("other settings",),
        {"run/r.tsv": HEADER + "\n" + ROW, "run/r.tsv.json": SIDECAR},
    ),
    Case(
        "resume-corrupt-settings",
        CERTIFY + " --out {d}/run/r.tsv",
        ("r.tsv.json", "cannot be read"),
        {"run/r.tsv": HEADER + "\n" + ROW, "run/r.tsv.json": '{"model": '},
    ),
    Case(
        "resume-a-mixed-file",
        CERTIFY + " --out {d}/run/r.tsv",
        ("appears 2 times",),
        {"run/r.tsv": HEADER + "\n" + ROW + ROW, "run/r.tsv.json": SIDECAR},
    ),
    Case(
        "out-held-by-another-run",
        CERTIFY + " --out {d}/run/r.tsv",
        ("another run is writing",),
        {"run/r.tsv.lock": f"{socket.gethostname()} {os.getpid()} python -m ancer_core certify …"},
    ),
    # θ folders
    Case("thetas-with-fixed", CERTIFY + OUT + " --thetas {d}/thetas-object", ("--thetas is for",)),
    Case("thetas-missing", CERTIFY + OUT + " --method ancer --thetas {d}/nowhere", ("nowhere", "not a folder")),
    Case("thetas-corrupt-settings", CERTIFY + OUT + " --method ancer --thetas {d}/thetas-corrupt", ("settings.json",)),
    Case(
        "thetas-planted-object",
        CERTIFY + OUT + " --method ancer --indices 0 --thetas {d}/thetas-object",
        ("theta_00000.npy",),
    ),
    Case(
        "thetas-negative",
        CERTIFY + OUT + " --method ancer --indices 0 --thetas {d}/thetas-negative",
        ("theta_00000.npy", "> 0"),
    ),
    Case(
        "optimize-into-a-folder-without-settings",
        OPTIMIZE + " --out {d}/thetas-nosettings",
        ("no settings.json",),
    ),
    Case(
        "optimize-into-other-settings",
        OPTIMIZE + " --out {d}/thetas-object",
        ("other settings",),
    ),
    # data
    Case("data-root-missing", CERTIFY + OUT + " --data-root {d}/nowhere", ("nowhere",)),
    Case("data-root-64px", CERTIFY + OUT + " --data-root {d}/big", ("64×64", "32×32")),
    Case("data-root-not-a-tar", CERTIFY + OUT + " --data-root {d}/fake.tar.xz", ("fake.tar.xz", "tar archive")),
    Case("data-root-planted-release", CERTIFY + OUT + " --data-root {d}/release", ("cifar-10-batches-py",)),
    # the app's launcher
    Case("app-port-zero", "app --port 0", ("--port 0",)),
    Case("app-results-missing", "app --results {d}/nowhere", ("nowhere", "not a folder")),
    # analyze
    Case("analyze-nan-radius", "analyze {d}/nan-radius.tsv", ("nan-radius.tsv", "radius")),
    Case("analyze-negative-radius", "analyze {d}/negative-radius.tsv", ("negative-radius.tsv", "negative")),
    Case("analyze-inf-radius", "analyze {d}/inf-radius.tsv", ("inf-radius.tsv", "infinite")),
    Case("analyze-correct-disagrees", "analyze {d}/wrong-correct.tsv", ("correct",)),
    Case("analyze-duplicate-image", "analyze {d}/duplicate.tsv", ("appears 2 times",)),
    Case("analyze-p-lower", "analyze {d}/p-lower.tsv", ("p_lower",)),
    Case("analyze-zero-theta", "analyze {d}/zero-theta.tsv", ("min θ",)),
    Case("analyze-not-results", "analyze {d}/not-results.tsv", ("not a certify result file",)),
    Case("analyze-missing", "analyze {d}/none.tsv", ("none.tsv", "does not exist")),
    Case("analyze-grid-not-folder", "analyze --grid {d}/a-file", ("not a folder",)),
    Case("analyze-nothing", "analyze", ("give result files",)),
    # train
    Case("train-lr-nan", TRAIN + " --lr nan", ("lr=nan",)),
    Case("train-lr-zero", TRAIN + " --lr 0", ("lr=0",)),
    Case("train-batch-size-zero", TRAIN + " --batch-size 0", ("batch_size=0",)),
    Case("train-epochs-zero", TRAIN + " --epochs 0", ("epochs=0",)),
    Case("train-seed-negative", TRAIN + " --seed -1", ("seed=-1",)),
    Case("train-max-train-zero", TRAIN + " --max-train 0", ("max_train=0",)),
    Case("train-label-smoothing", TRAIN + " --label-smoothing 1.5", ("label_smoothing=1.5",)),
    Case("train-arch-unknown", TRAIN + " --arch vgg99", ("vgg99",)),
    Case("train-out-under-file", TRAIN.replace("{d}/train/m.pt", "{d}/a-file/m.pt"), ("a-file",)),
    Case("train-data-64px", TRAIN + " --max-steps 1", ("64×64",)),
    Case("train-data-planted-release", TRAIN.replace("/big", "/release"), ("cifar-10-batches-py",)),
]


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


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.id)
def test_command_line_refuses_bad_input(case: Case, work: Path, capsys):
    for rel, text in case.setup.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    before = snapshot(work)
    try:
        code, err = run_cli(shlex.split(case.argv.format(d=work)), capsys)
        assert code == 2, err
        check_message(err, case.expect)
        assert snapshot(work) == before, "a refused run created or changed a file"
        assert not list(work.glob("RAN-*")), "a planted pickle ran"
    finally:
        for rel in case.setup:
            (work / rel).unlink()


def test_there_are_enough_cases():
    assert len(CLI_CASES) + len(API_CASES) >= 60


# ----------------------------------------------------------------------------------------------------------
# the Python API


def _tiny_model():
    torch.manual_seed(0)
    return build_model("small-cnn").eval()


def _nan_model():
    m = _tiny_model()
    with torch.no_grad():
        next(c for c in m.modules() if isinstance(c, torch.nn.Conv2d)).weight.fill_(float("nan"))  # diverged
    return m


X = torch.rand(2, 3, 32, 32)
API_CASES = {
    "one-channel": (
        lambda: ac.certify(_tiny_model(), X[:, :1], 0.25, "l2", 4, 8, 0.01),
        ("(2, 1, 32, 32)", "3 channels"),
    ),
    "sixty-four-pixels": (
        lambda: ac.certify(_tiny_model(), torch.rand(1, 3, 64, 64), 0.25, "l2", 4, 8, 0.01),
        ("64", "32×32"),
    ),
    "0-255": (lambda: ac.certify(_tiny_model(), X * 255, 0.25, "l2", 4, 8, 0.01), ("divide by 255",)),
    "negative-pixels": (lambda: ac.certify(_tiny_model(), X - 0.5, 0.25, "l2", 4, 8, 0.01), ("[0, 1]",)),
    "nan-network-certify": (lambda: ac.certify(_nan_model(), X, 0.25, "l2", 4, 8, 0.01), ("NaN", "logits")),
    "nan-network-predict": (lambda: ac.predict(_nan_model(), X, 0.25, "l2", 8, 0.01), ("NaN",)),
    "nan-network-isotropic-dd": (
        lambda: ac.isotropic_dd(_nan_model(), X, 0.25, "l2", iterations=1, samples=2),
        ("NaN", "optimization"),
    ),
    "nan-network-scalar": (lambda: ac.isotropic_dd_scalar(_nan_model(), X, 0.25, "l2", samples=2), ("NaN",)),
    "nan-network-ancer": (lambda: ac.ancer(_nan_model(), X, 0.25, "l2", iterations=1, samples=2), ("NaN",)),
    "noise-batch-zero": (lambda: ac.SamplingConfig(noise_batch=0), ("noise_batch=0",)),
    "max-batch-negative": (lambda: ac.SamplingConfig(max_batch=-1), ("max_batch=-1",)),
    "seed-negative": (lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 8, 0.01, seed=-1), ("seed=-1",)),
    "index-negative": (
        lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 8, 0.01, indices=[0, -3]),
        ("index=-3",),
    ),
    "indices-length": (
        lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 8, 0.01, indices=[0]),
        ("indices has 1",),
    ),
    "n-huge": (lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 2**63, 0.01), ("too large",)),
    "n-float": (lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 8.5, 0.01), ("n=8.5",)),
    "alpha-string": (lambda: ac.certify(_tiny_model(), X, 0.25, "l2", 4, 8, "0.01"), ("alpha='0.01'",)),
    "theta-negative": (lambda: ac.certify(_tiny_model(), X, -0.25, "l2", 4, 8, 0.01), ("theta",)),
    "kappa-negative": (lambda: ac.ancer(_tiny_model(), X, 0.25, "l2", iterations=1, samples=2, kappa=-1), ("kappa",)),
    "preset-overrides": (lambda: ac.preset("quick", n=0), ("N=0",)),
    "settings-lr": (lambda: ac.Settings(iso_lr=float("nan")).validate(), ("iso_lr",)),
    "toy-csv-header-only": (lambda: ac.teaching.parse_toy_csv("x1,x2,label\n"), ("no point",)),
    "float-image-upload": (lambda: ac.data.prepare_image(_float_tiff_as_png()), ("PNG",)),
}


def _float_tiff_as_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ones((8, 8), np.float32)).save(buf, format="TIFF")
    return buf.getvalue()


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_refuses_bad_input(name):
    call, expect = API_CASES[name]
    with pytest.raises(ac.AncerInputError) as e:
        call()
    message = str(e.value)
    assert "\n" not in message
    for word in expect:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def test_numpy_scalars_are_numbers():
    """alpha=np.float32(0.001) and n=np.int64(200) are what a NumPy user passes: accepted, same answer."""
    model, x = _tiny_model(), X[:1]
    plain = ac.certify(model, x, 0.25, "l2", 8, 200, 0.001, seed=3)[0]
    (numpy,) = ac.certify(
        model, x, np.float64(0.25), "l2", np.int32(8), np.int64(200), np.float32(0.001), seed=np.int64(3)
    )
    assert numpy.prediction == plain.prediction and numpy.extra["n_a"] == plain.extra["n_a"]
    assert numpy.p_lower == pytest.approx(plain.p_lower, rel=1e-6)


def test_a_diverging_training_stops_and_saves_nothing(tmp_path, fake_archive):
    from ancer_core.models import TrainConfig, train

    archive = fake_archive(tmp_path)
    cfg = TrainConfig(sigma=0.25, epochs=3, batch_size=16, lr=1e30, data_root=str(archive))
    with pytest.raises(ac.NonFiniteOutputError, match=r"diverged at step \d+"):
        train(cfg, tmp_path / "m.pt", log=None)
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "m.pt.lock").exists()


def test_a_planted_resume_state_is_refused_not_run(work, tmp_path, fake_archive):
    from ancer_core.models import TrainConfig, train

    marker = tmp_path / "RAN"
    torch.save({"config": {}, "model": Planted(marker)}, tmp_path / "m.partial")
    cfg = TrainConfig(sigma=0.25, epochs=1, batch_size=16, data_root=str(fake_archive(tmp_path)))
    with pytest.raises(ac.AncerInputError, match="not a resume state"):
        train(cfg, tmp_path / "m.pt", log=None)
    assert not marker.exists()


def test_a_planted_int8_calibration_is_refused_not_run(tmp_path, monkeypatch):
    from ancer_core.models import quantized

    path = tmp_path / "m.pt"
    save_checkpoint(_tiny_model(), "small-cnn", {}, path)
    marker = tmp_path / "RAN"
    torch.save({"calibration": {}, "state_dict": Planted(marker)}, quantized.int8_path(str(path)))
    quantized.load_int8.cache_clear()
    with pytest.raises(ac.AncerInputError, match="int8 calibration"):
        quantized.load_int8(str(path))
    assert not marker.exists()


def test_a_stale_lock_is_taken_over_and_a_stray_theta_file_is_not_theta(tmp_path):
    from ancer_core.data import theta_indices
    from ancer_core.data.files import OutputLock

    out = tmp_path / "out.tsv"
    lock = tmp_path / "out.tsv.lock"
    lock.write_text(f"{socket.gethostname()} {2**22 + 12345} a run that was killed")  # no such process
    with OutputLock(out):
        assert str(os.getpid()) in lock.read_text()
    assert not lock.exists()
    np.save(tmp_path / "theta_00003.npy", np.ones(3, np.float32))
    np.save(tmp_path / "theta_00003 (copy).npy", np.ones(3, np.float32))
    assert theta_indices(tmp_path) == [3]


def test_a_sixteen_bit_png_keeps_its_greys():
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((40, 40), 32768, np.uint16)).save(buf, format="PNG")
    x = ac.data.prepare_image(buf.getvalue()).x
    assert x.shape == (3, 32, 32) and float(x.mean()) == pytest.approx(128 / 255, abs=1 / 255)


def test_a_palette_png_with_transparency_is_composited_faithfully():
    from PIL import Image

    im = Image.new("P", (32, 32), 0)
    im.putpalette([255, 0, 0] + [0, 0, 255] * 255)
    im.info["transparency"] = 0  # palette entry 0 (red) fully transparent → white
    buf = io.BytesIO()
    im.save(buf, format="PNG", transparency=0)
    x = ac.data.prepare_image(buf.getvalue()).x
    assert torch.allclose(x, torch.ones_like(x))


# ----------------------------------------------------------------------------------------------------------
# the app


def test_live_page_names_a_nan_checkpoint_not_theta(work):
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.selectbox(key="model-l2").set_value("checkpoint path…").run()
    next(t for t in at.text_input if "checkpoint path" in t.label).set_value(str(work / "nan.pt")).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "NaN or infinite weights" in errors and "nan.pt" in errors


def test_results_page_keeps_two_uploads_of_one_name(monkeypatch):
    """Two files called fixed.tsv: both are read and the second is renamed, with a warning (the page's
    upload section, given the streams as Streamlit hands them over)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "app"))
    from ui.results import one_model

    rows = HEADER + "\n" + ROW
    streams = [io.BytesIO(rows.encode()), io.BytesIO(rows.replace("\t0.5\t0.5\t", "\t0.7\t0.7\t").encode())]
    for s in streams:
        s.name = "fixed.tsv"
    said = []
    monkeypatch.setattr(one_model.st, "file_uploader", lambda *a, **k: streams)
    monkeypatch.setattr(one_model.st, "warning", said.append)
    tables = one_model.uploaded_tables()
    assert {k: float(t["radius"][0]) for k, t in tables.items()} == {"fixed": 0.5, "fixed (2)": 0.7}
    assert len(said) == 1 and "Two uploads are named fixed.tsv" in said[0]


def test_one_writer_per_output_across_two_processes(work, tmp_path, capsys):
    """A lock file made by a live process stops the second run, naming the first."""
    out = tmp_path / "o.tsv"
    lock = tmp_path / "o.tsv.lock"
    lock.write_text(f"{socket.gethostname()} {os.getppid()} the first run")
    code, err = run_cli(shlex.split(CERTIFY.format(d=work) + f" --out {out}"), capsys)
    assert code == 2 and "the first run" in err and not out.exists()


def test_tar_of_good_archive_still_reads(tmp_path, fake_archive):
    """The checks refuse what is wrong, not what is right: the tiny JPEG archive trains for one step."""
    archive = fake_archive(tmp_path)
    assert tarfile.is_tarfile(archive)
    x, y = ac.data.load_cifar10_arrays("train", archive)
    assert x.shape[1:] == (32, 32, 3) and len(y) == 30


def test_certify_and_optimize_make_a_new_output_folder(work, tmp_path, capsys):
    """The checks let a good run through: an --out in folders that do not exist yet is made."""
    out = tmp_path / "new" / "deeper" / "fixed.tsv"
    code, err = run_cli(shlex.split(CERTIFY.format(d=work) + f" --out {out}"), capsys)
    assert code == 0, err
    assert ac.read_results(out)["idx"].tolist() == [0, 1] and not out.with_name("fixed.tsv.lock").exists()
    folder = tmp_path / "new2" / "thetas"
    code, err = run_cli(shlex.split(OPTIMIZE.format(d=work) + f" --iterations 1 --samples 2 --out {folder}"), capsys)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["settings.json", "theta_00000.npy", "theta_iso_00000.npy"]
