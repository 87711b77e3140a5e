"""Bad input, table-driven: the Python API and the app (the command line: tests/test_bad_input_cli.py).

Every case asserts the error contract of docs/conventions.md ("Errors"): the command exits with status 2
(the API raises :class:`ancer_core.AncerInputError`), the message is one line that names the bad value or
file and says what to do, no traceback is printed, and no file is created or changed.
"""

from __future__ import annotations

import io
import os
import shlex
import socket
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from badinput import CERTIFY, OPTIMIZE, ROW, Planted, run_cli
from test_bad_input_cli import CLI_CASES

import ancer_core as ac
from ancer_core.data.results import HEADER
from ancer_core.models import build_model, save_checkpoint


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
    "theta-string": (lambda: ac.certify(_tiny_model(), X, "0.25", "l2", 4, 8, 0.01), ("theta", "'0.25'")),
    "theta-one-image-infinite": (
        lambda: ac.certify(_tiny_model(), X, torch.tensor([0.25, float("inf")]), "l2", 4, 8, 0.01),
        ("image 1", "infinite"),
    ),
    "theta-bool": (lambda: ac.certify(_tiny_model(), X, True, "l2", 4, 8, 0.01), ("theta", "True")),
    "theta-bool-tensor": (
        lambda: ac.certify(_tiny_model(), X, torch.ones(2, dtype=torch.bool), "l2", 4, 8, 0.01),
        ("bool",),
    ),
    "methods-none": (
        lambda: ac.run_all_methods(_tiny_model(), X, "l2", 0.25, ac.preset("quick"), methods=()),
        ("methods=()", "fixed"),
    ),
    "kappa-negative": (lambda: ac.ancer(_tiny_model(), X, 0.25, "l2", iterations=1, samples=2, kappa=-1), ("kappa",)),
    "preset-overrides": (lambda: ac.preset("quick", n=0), ("N=0",)),
    "settings-lr": (lambda: ac.Settings(iso_lr=float("nan")).validate(), ("iso_lr",)),
    "toy-csv-header-only": (lambda: ac.teaching.parse_toy_csv("x1,x2,label\n"), ("no point",)),
    "float-image-upload": (lambda: ac.data.prepare_image(_float_tiff_as_png()), ("PNG",)),
    "strip-image-upload": (lambda: ac.data.prepare_image(_strip_png()), ("40,000,000 × 1", "at least 8")),
}


def _strip_png() -> bytes:
    """A valid 40,000,000 × 1 PNG (39 KB): its header says so, and Pillow would decode it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40_000_000, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 40_000_001, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


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


def test_a_float64_batch_is_certified_as_its_float32_images():
    model = _tiny_model()
    a = ac.certify(model, X.double(), 0.25, "l2", 4, 64, 0.01)
    b = ac.certify(model, X, 0.25, "l2", 4, 64, 0.01)
    assert [(c.prediction, c.p_lower) for c in a] == [(c.prediction, c.p_lower) for c in b]


def test_an_empty_ancer_cache_is_the_default_not_the_current_folder(monkeypatch, tmp_path):
    from ancer_core.data import cifar10

    monkeypatch.setenv("ANCER_CACHE", "")
    monkeypatch.chdir(tmp_path)
    assert cifar10.cache_dir().resolve() != tmp_path.resolve()


def test_output_on_a_terminal_that_cannot_show_greek_letters(tmp_path):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="ascii")
    done = subprocess.run([sys.executable, "-m", "ancer_core", "models"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr and "\\u03c3" in done.stdout + done.stderr


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


def test_live_page_with_checkpoint_path_chosen_and_none_typed_yet():
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.selectbox(key="model-l2").set_value("checkpoint path…").run()
    assert not at.exception  # was: PosixPath('.') has an empty name
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception and "path of a checkpoint" in " ".join(e.value for e in at.error)


def test_results_page_keeps_two_uploads_of_one_name(monkeypatch):
    """Two files called fixed.tsv: both are read and the second is renamed, with a warning (the page's
    upload section, given the streams as Streamlit hands them over)."""
    from ancer_app.ui.results import one_model

    rows = HEADER + "\n" + ROW
    other = rows.replace("\t0.5\t0.5\t", "\t0.7\t0.7\t").replace("\t2\n", "\t2.8\n")  # radius = min θ · gap
    streams = [io.BytesIO(rows.encode()), io.BytesIO(other.encode())]
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
