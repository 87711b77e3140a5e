"""Data, toy data, models, checkpoints and training (offline, no ../shared)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from ancer_core import load_cifar10, load_model, shipped_models
from ancer_core.core.validation import AncerInputError
from ancer_core.data.cifar10 import parse_indices
from ancer_core.models import (
    CifarResNet,
    NormalizeLayer,
    TrainConfig,
    build_model,
    save_checkpoint,
    train,
    weights_fingerprint,
)
from ancer_core.teaching.toy_data import TOY_DATASETS, load_toy


def test_shipped_test_split():
    x, y = load_cifar10("test")
    assert x.shape == (10000, 3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y.tolist()[:10] == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]  # the original release's first test labels
    assert np.bincount(y.numpy()).tolist() == [1000] * 10


def test_parse_indices():
    assert parse_indices("0:500:20", 10000)[:3] == [0, 20, 40] and len(parse_indices("0:500:20", 10000)) == 25
    assert parse_indices("3,7,10:12", 100) == [3, 7, 10, 11]
    for bad in ("a:b", "20000", "5:5"):
        with pytest.raises(AncerInputError):
            parse_indices(bad, 10000)


def test_bad_data_root(tmp_path):
    with pytest.raises(AncerInputError, match="neither the original CIFAR-10"):
        load_cifar10("test", tmp_path)
    with pytest.raises(AncerInputError, match="train split is not shipped"):
        load_cifar10("train")


TOY_FILES = Path(__file__).resolve().parent.parent / "toy_data"


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_toy_files_match_generators(name):
    X, y = load_toy(name, TOY_FILES)
    Xg, yg = TOY_DATASETS[name]()
    np.testing.assert_allclose(X, Xg, atol=1e-5)
    assert (y == yg).all() and set(np.unique(y)) == {0, 1}


def test_radial_is_radially_separable():
    X, y = load_toy("radial")
    r = np.linalg.norm(X, axis=1)
    assert r[y == 1].max() < r[y == 0].min()


def test_unknown_toy_name():
    with pytest.raises(AncerInputError, match="does not exist"):
        load_toy("circles")
    with pytest.raises(AncerInputError, match="write_toy_files"):
        load_toy("radial", TOY_FILES / "missing")


def test_cohen_checkpoint_layout_loads(tmp_path):
    """A checkpoint saved the way Cohen et al. saved cifar_resnet110 (Sequential(normalize, net),
    keys '1.…', plus epoch/optimizer entries) loads and computes the same function."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(NormalizeLayer(), CifarResNet(110)).eval()
    path = tmp_path / "checkpoint.pth.tar"
    torch.save({"epoch": 90, "arch": "cifar_resnet110", "state_dict": theirs.state_dict(), "optimizer": {}}, path)
    assert any(k.startswith("1.layer3.17.conv2") for k in theirs.state_dict())
    ours = load_model(path)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


def test_bad_checkpoints(tmp_path):
    m = build_model("small-cnn")
    good = tmp_path / "g.pt"
    torch.save({"arch": "small-cnn", "state_dict": m.state_dict()}, good)
    trunc = tmp_path / "t.pt"
    trunc.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(AncerInputError, match="truncated"):
        load_model(trunc)
    wrong = tmp_path / "w.pt"
    torch.save({"arch": "cifar_resnet20", "state_dict": m.state_dict()}, wrong)
    with pytest.raises(AncerInputError, match="does not match architecture"):
        load_model(wrong)
    with pytest.raises(AncerInputError, match="neither a shipped model"):
        load_model("no-such-model")
    plain = tmp_path / "p.pt"
    torch.save(m.state_dict(), plain)
    with pytest.raises(AncerInputError, match="state_dict"):
        load_model(plain)


def test_architectures_shapes():
    x = torch.rand(2, 3, 32, 32)
    for arch in ("small-cnn", "resnet18-imagenet-style", "cifar_resnet20"):
        assert build_model(arch).eval()(x).shape == (2, 10)


CARDS = shipped_models()


@pytest.mark.skipif(not CARDS, reason="no shipped models")
@pytest.mark.parametrize("name", sorted(CARDS))
def test_shipped_model_accuracy_matches_card(name):
    """Clean accuracy of the base classifier on the first 100 test images agrees with the card's
    (measured on 500 other images) — two-sided binomial test at level 1e-4."""
    card = CARDS[name]
    model = load_model(name)
    x, y = load_cifar10("test")
    with torch.inference_mode():
        correct = int((model(x[:100]).argmax(1) == y[:100]).sum())
    p = card["evaluation"]["clean_accuracy_base"]
    assert stats.binomtest(correct, 100, p).pvalue > 1e-4, (correct, p)
    assert card["noise"] in ("gaussian", "uniform") and card["evaluation"]["images"] >= 500


def test_shipped_models_fit_budget():
    """All weights together (int8 calibrations included) ≤ 30 MB; every model ≤ 100 MFLOP per image."""
    from torch.utils.flop_counter import FlopCounterMode

    from ancer_core.models import MODEL_DIR

    assert sum(p.stat().st_size for p in MODEL_DIR.glob("*.pt")) < 30e6
    for name in CARDS:
        counter = FlopCounterMode(display=False)
        with counter, torch.inference_mode():
            load_model(name, fold_bn=False)(torch.zeros(1, 3, 32, 32))
        assert counter.get_total_flops() <= 100e6, name


@pytest.mark.parametrize(
    "noise,stab,cons", [("gaussian", 0.0, 0.0), ("uniform", 0.0, 0.0), ("uniform", 6.0, 0.0), ("gaussian", 0.0, 10.0)]
)
def test_training_end_to_end_one_step(tmp_path, noise, stab, cons, fake_archive):
    arch = fake_archive(tmp_path)
    out = tmp_path / "m.pt"
    cfg = TrainConfig(
        noise=noise,
        sigma=0.25,
        epochs=1,
        batch_size=16,
        stability_weight=stab,
        consistency_weight=cons,
        data_root=str(arch),
        max_steps=1,
    )
    card = train(cfg, out, log=None)
    assert card["noise"] == noise and card["training"]["max_steps"] == 1
    assert ("consistency" in card["training"]["loss"]) == (cons > 0)
    assert out.is_file() and out.with_suffix(".json").is_file() and not out.with_suffix(".partial").exists()
    model = load_model(out)
    assert model(torch.rand(1, 3, 32, 32)).shape == (1, 10)


def test_consistency_loss_matches_a_direct_computation():
    """Jeong & Shin's loss against NumPy: mean CE over the copies + λ·mean KL(p̂ ‖ pᵢ) + η·H(p̂)."""
    from ancer_core.models.training import consistency_loss

    rng = np.random.default_rng(0)
    m, b, k, lam, eta = 3, 5, 4, 12.0, 0.5
    logits = rng.normal(size=(m, b, k)) * 2
    y = rng.integers(0, k, b)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    ce = -np.mean([np.log(p[i, j, y[j]]) for i in range(m) for j in range(b)])
    mean_p = p.mean(0)
    kl = np.mean([np.sum(mean_p * np.log(mean_p / p[i]), -1) for i in range(m)], 0)
    ent = -np.sum(mean_p * np.log(mean_p), -1)
    want = ce + np.mean(lam * kl + eta * ent)
    got = consistency_loss(torch.tensor(logits), torch.tensor(y), lam, eta)
    assert float(got) == pytest.approx(want, rel=1e-9)
    # copies that agree have no consistency penalty beyond the entropy
    same = torch.tensor(np.repeat(logits[:1], m, 0))
    assert float(consistency_loss(same, torch.tensor(y), lam, 0.0)) == pytest.approx(
        float(consistency_loss(same, torch.tensor(y), 0.0, 0.0))
    )


@pytest.mark.parametrize("arch", ["small-cnn", "resnet18-imagenet-style", "cifar_resnet20"])
def test_folding_batchnorm_keeps_the_function_and_its_input_gradient(arch, tmp_path):
    """load_model folds BatchNorm into the convolutions (faster; README Performance): the folded
    network must compute the same logits and the same gradient w.r.t. the input (what the
    optimizers use) up to float rounding, with non-trivial BatchNorm statistics."""
    torch.manual_seed(0)
    model = build_model(arch).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.3, 3.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    path = tmp_path / "m.pt"
    save_checkpoint(model, arch, {"note": "test"}, path, half=False)
    plain, folded = load_model(path, fold_bn=False), load_model(path)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert folded.card["batchnorm_folded"] is True and "batchnorm_folded" not in plain.card
    x = torch.rand(4, 3, 32, 32, requires_grad=True)
    a, b = plain(x), folded(x)
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    assert not torch.equal(a, torch.zeros_like(a))
    (ga,) = torch.autograd.grad(torch.softmax(a, 1)[:, 0].sum(), x)
    (gb,) = torch.autograd.grad(torch.softmax(b, 1)[:, 0].sum(), x)
    torch.testing.assert_close(gb, ga, rtol=1e-3, atol=1e-6)
    with pytest.raises(ValueError, match="fold_bn=False"):  # it no longer matches its architecture
        save_checkpoint(folded, arch, {}, tmp_path / "folded.pt")


def test_training_resumes_with_the_data_elsewhere_and_restarts_for_another_recipe(tmp_path, fake_archive, monkeypatch):
    import ancer_core.models.training as training

    arch = fake_archive(tmp_path, per_class=8)  # 5 steps per epoch: enough for the one-cycle schedule
    elsewhere = tmp_path / "copy" / "tiny.tar"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(arch)  # the same data under another path, as on another machine

    class Stop(Exception):
        pass

    real = training.Progress

    def progress(total, label, **kw):
        if label.startswith("epoch 2/"):
            raise Stop  # the session ends during the second epoch
        return real(total, label, **kw)

    cfg = TrainConfig(noise="gaussian", sigma=0.25, epochs=2, batch_size=16, data_root=str(arch))
    out = tmp_path / "m.pt"
    monkeypatch.setattr(training, "Progress", progress)
    with pytest.raises(Stop):
        train(cfg, out, log=None)
    assert out.with_suffix(".partial").is_file() and not out.is_file()
    monkeypatch.setattr(training, "Progress", real)
    said = []
    train(TrainConfig(**{**cfg.__dict__, "data_root": str(elsewhere)}), out, log=said.append)
    assert said[0].startswith("estimate: at least") and "for all 2 epochs" in said[0]  # before the work
    assert said[1:] == ["resuming m.pt at epoch 1/2"] and out.is_file()
    # another recipe never continues an interrupted run: it starts over and says why
    monkeypatch.setattr(training, "Progress", progress)
    with pytest.raises(Stop):
        train(cfg, tmp_path / "n.pt", log=None)
    monkeypatch.setattr(training, "Progress", real)
    said = []
    train(TrainConfig(**{**cfg.__dict__, "lr": 0.05}), tmp_path / "n.pt", log=said.append)
    said = [s for s in said if not s.startswith("estimate:")]
    assert len(said) == 1 and "another recipe" in said[0] and "'lr': (0.1, 0.05)" in said[0]


def test_weights_fingerprint_names_the_weights_not_the_card(tmp_path):
    torch.manual_seed(0)
    net = build_model("small-cnn").eval()
    save_checkpoint(net, "small-cnn", {"note": "a"}, tmp_path / "a.pt")
    a = load_model(tmp_path / "a.pt", fold_bn=False)
    assert a.card["weights_sha256"] == weights_fingerprint(a) == load_model(tmp_path / "a.pt").card["weights_sha256"]
    save_checkpoint(a, "small-cnn", dict(a.card, note="b"), tmp_path / "b.pt")  # the card changes, not the weights
    saved = json.loads((tmp_path / "b.json").read_text())
    assert "weights_sha256" not in saved and "path" not in saved
    assert load_model(tmp_path / "b.pt").card["weights_sha256"] == a.card["weights_sha256"]
    with torch.no_grad():
        a[1][0].weight[0, 0, 0, 0] += 1e-3
    assert weights_fingerprint(a) != a.card["weights_sha256"]


def test_a_model_runs_in_another_thread_while_torch_fx_traces():
    """The int8 network is built by tracing (torch.fx), which patches every module call of the process; a
    model another thread runs meanwhile (another page of the app) must run as usual."""
    import threading

    import torch.fx

    from ancer_core.models import fx_threads

    fx_threads.install()
    tracing, ran = threading.Event(), threading.Event()

    class Slow(torch.nn.Module):  # holds the trace open until the other thread's model has run
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 2)

        def forward(self, x):
            tracing.set()
            ran.wait(10)
            return self.lin(x)

    other = build_model("small-cnn").eval()
    x = torch.rand(2, 3, 32, 32)
    expected = other(x)
    out, errors = {}, []

    def run_other():
        tracing.wait(10)
        try:
            out["y"] = other(x)
        except Exception as e:  # what the unpatched tracer raised: NameError
            errors.append(e)
        ran.set()

    t = threading.Thread(target=run_other)
    t.start()
    graph = torch.fx.symbolic_trace(Slow())
    t.join()
    assert not errors and torch.equal(out["y"], expected)
    assert any(n.op == "call_module" and n.target == "lin" for n in graph.graph.nodes)  # the trace itself is whole
