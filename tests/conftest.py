import io
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

# never touch the user's cache from the tests; a result store of this test run's own (servers started by the
# tests inherit it), and one per test for the tests that run in this process
os.environ.setdefault("ANCER_CACHE", os.path.join(tempfile.gettempdir(), "ancer-test-cache"))
os.environ["ANCER_STORE"] = os.path.join(tempfile.mkdtemp(prefix="ancer-store-"), "results.sqlite")


@pytest.fixture(autouse=True)
def _own_result_store(tmp_path, monkeypatch):
    """Each test starts with an empty result store: a run another test made is never served from it."""
    monkeypatch.setenv("ANCER_STORE", str(tmp_path / "results.sqlite"))


torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


class Linear2Class(torch.nn.Module):
    """f(x) = 1 if w·x + b > 0 else 0, as logits [0, w·x + b]; inputs of any shape B×…"""

    def __init__(self, w, b):
        super().__init__()
        self.w = torch.as_tensor(w, dtype=torch.float32)
        self.b = float(b)

    def forward(self, x):
        s = x.flatten(1) @ self.w + self.b
        return torch.stack([torch.zeros_like(s), s], 1)


@pytest.fixture
def linear_model():
    return Linear2Class


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> str:
    """A randomly initialised small CNN saved as a checkpoint: the command-line tests' model."""
    from ancer_core.models import build_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("m") / "tiny.pt"
    save_checkpoint(build_model("small-cnn").eval(), "small-cnn", {"note": "random init, for tests"}, path)
    return str(path)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The bad-input tests' folder of bad files (tests/badinput.py)."""
    from badinput import make_work

    return make_work(tmp_path_factory.mktemp("bad"))


@pytest.fixture
def fake_archive():
    """Makes a tiny JPEG archive in the shared copy's layout (train/<class>/NNNN.jpg) from shipped
    test images: the train split for tests that must not need the real one."""
    from PIL import Image

    from ancer_core.data import CLASSES, load_cifar10_arrays

    def make(folder, per_class=3):
        x, y = load_cifar10_arrays("test")
        path = folder / "tiny.tar"
        with tarfile.open(path, "w") as tf:
            for c, name in enumerate(CLASSES):
                for k, i in enumerate(np.flatnonzero(y == c)[:per_class]):
                    buf = io.BytesIO()
                    Image.fromarray(x[i]).save(buf, format="JPEG")
                    info = tarfile.TarInfo(f"train/{name}/{k:04d}.jpg")
                    info.size = buf.tell()
                    buf.seek(0)
                    tf.addfile(info, buf)
        return path

    return make


@pytest.fixture
def fake_grid():
    """Writes a results grid of random certificates (and ANCER θ files) in the layout of
    `python -m ancer_core grid`: ``make(root, rng, {model: (norm, σ, indices)})`` returns
    ``{(model, method): Table}``."""
    import json

    from ancer_core.data import read_results, save_theta
    from ancer_core.data.results import HEADER

    def make(root, rng, models):
        rows = {}
        for name, (norm, sigma, idx) in models.items():
            folder = root / name
            (folder / "ancer-thetas").mkdir(parents=True)
            for i in idx:
                save_theta(folder / "ancer-thetas", i, sigma * (1 + rng.random((3, 32, 32))))
            for m in ("fixed", "isotropic-dd", "ancer"):
                label = rng.integers(0, 10, len(idx))
                correct = rng.random(len(idx)) < 0.7
                predict = np.where(correct, label, (label + 1) % 10)
                radius = rng.random(len(idx)) * 1.5
                proxy = radius * (1 + (m == "ancer") * rng.random(len(idx)))
                lines = [HEADER] + [
                    f"{i}\t{label[k]}\t{predict[k]}\t{radius[k]:.6g}\t{proxy[k]:.6g}\t{int(correct[k])}\t{sigma}"
                    f"\t0.1\t0.9\t{radius[k] / sigma:.6g}"
                    for k, i in enumerate(idx)
                ]
                (folder / f"{m}.tsv").write_text("\n".join(lines) + "\n")
                meta = {"norm": norm, "sigma": sigma, "N0": 100, "N": 10000, "alpha": 0.001, "theta0": sigma}
                (folder / f"{m}.tsv.json").write_text(json.dumps(dict(meta, model=name, method=m)))
                rows[name, m] = read_results(folder / f"{m}.tsv")
        return rows

    return make


APP = str(Path(__file__).resolve().parent.parent / "app" / "main.py")  # the app's entry point, as students open it


def open_page(name: str, timeout: int):
    """The app started at its entry point, then switched to page ``name`` (as a click in the menu does)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout).run()
    return at.switch_page(f"screens/{name}.py").run()


@pytest.fixture(scope="module")
def ckpt_with_card(tmp_path_factory):
    """A randomly initialised small CNN saved as a checkpoint whose card names its noise and σ (Gaussian,
    0.25), as a trained model's does."""
    from ancer_core.models import build_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("m") / "m.pt"
    save_checkpoint(build_model("small-cnn"), "small-cnn", {"noise": "gaussian", "sigma": 0.25}, path)
    return path


def tiny_live_run(at):
    """The live page's advanced settings at a class's smallest (N0 = 4, N = 32, two optimizer steps of four
    samples), in an AppTest; returns it for chaining."""
    for label, value in (
        ("N0 (selection samples)", 4),
        ("N (estimation samples)", 32),
        ("Isotropic DD iterations", 2),
        ("ANCER iterations", 2),
        ("samples per iteration", 4),
    ):
        next(w for w in at.number_input if w.label == label).set_value(value)
    return at
