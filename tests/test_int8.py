"""int8 CERTIFY on the CPU: the votes are the int8 network's own, results record the precision,
and a model without a calibration is refused with a way out."""

import json

import pytest
import torch

import ancer_core as ac
from ancer_core.cli import main
from ancer_core.core.smoothing import make_generators
from ancer_core.models import engine_available, int8_path, load_int8, save_checkpoint

pytestmark = pytest.mark.skipif(not engine_available(), reason="this PyTorch build has no x86 quantized engine")
SHIPPED = "small-gaussian-0.25"


@torch.inference_mode()
def test_int8_certify_counts_the_int8_networks_own_votes():
    q = load_int8(SHIPPED)
    x, _ = ac.load_cifar10("test")
    xb, idx, n0, n = x[:3], [0, 1, 2], 10, 120
    certs = ac.certify(q, xb, 0.25, "l2", n0, n, 0.001, indices=idx, seed=5)
    gens = make_generators(5, idx, "cpu")  # the same per-image streams: n0 selection draws, then n
    ac.GAUSSIAN.sample_unit_per_image(gens, n0, xb.shape[1:], "cpu")
    u = ac.GAUSSIAN.sample_unit_per_image(gens, n, xb.shape[1:], "cpu")
    for k, c in enumerate(certs):
        votes = torch.bincount(q(xb[k] + 0.25 * u[k]).argmax(1), minlength=10).tolist()
        assert c.extra["counts"] == votes
    fp32 = ac.load_model(SHIPPED)
    noisy = x[:500] + 0.25 * torch.randn(500, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    agree = float((q(noisy).argmax(1) == fp32(noisy).argmax(1)).float().mean())
    assert 0.9 < agree < 1.0 or agree == 1.0  # a different network, mostly in agreement


def test_cli_int8_records_the_precision(tmp_path):
    out = tmp_path / "int8.tsv"
    argv = ["certify", "--model", SHIPPED, "--norm", "l2", "--method", "fixed", "--sigma", "0.25"]
    argv += ["--indices", "0:2", "--N0", "8", "--N", "32", "--device", "cpu", "--precision", "int8", "--out", str(out)]
    assert main(argv) == 0
    meta = json.loads(out.with_name(out.name + ".json").read_text())
    assert meta["precision"] == "int8" and meta["int8_calibration"]["noise"] == "gaussian"
    assert "path" not in meta["model_card"]  # result files hold no machine path
    assert main(argv[:-3] + ["fp32", "--out", str(out)]) == 2  # resuming in another precision is refused


def test_int8_without_calibration_is_refused_with_the_command_that_makes_one(tmp_path, capsys, fake_archive):
    ckpt = tmp_path / "tiny.pt"
    torch.manual_seed(0)
    save_checkpoint(ac.build_model("small-cnn").eval(), "small-cnn", {"noise": "uniform", "sigma": 0.5}, ckpt)
    argv = ["certify", "--model", str(ckpt), "--norm", "l1", "--method", "fixed", "--sigma", "0.5", "--indices", "0:2"]
    argv += ["--N0", "8", "--N", "32", "--device", "cpu", "--precision", "int8", "--out", str(tmp_path / "r.tsv")]
    assert main(argv) == 2
    assert "python -m ancer_core quantize" in capsys.readouterr().err
    assert main(["quantize", "--model", str(ckpt), "--data-root", str(fake_archive(tmp_path)), "--images", "20"]) == 0
    assert int8_path(ckpt).is_file() and "agreement" in capsys.readouterr().err
    assert main(argv) == 0
    # retrained weights with the old calibration beside them: refused, never certified with stale int8 weights
    torch.manual_seed(1)
    save_checkpoint(ac.build_model("small-cnn").eval(), "small-cnn", {"noise": "uniform", "sigma": 0.5}, ckpt)
    load_int8.cache_clear()
    assert main(argv[:-1] + [str(tmp_path / "r2.tsv")]) == 2
    assert "calibrated for other weights" in capsys.readouterr().err
    # a calibration made by an earlier quantization scheme (another network): refused the same way
    assert main(["quantize", "--model", str(ckpt), "--data-root", str(fake_archive(tmp_path)), "--images", "20"]) == 0
    saved = torch.load(int8_path(ckpt), weights_only=False)
    saved["calibration"]["scheme"] = "x86 default qconfig mapping"
    torch.save(saved, int8_path(ckpt))
    load_int8.cache_clear()
    assert main(argv[:-1] + [str(tmp_path / "r3.tsv")]) == 2
    assert "earlier quantization scheme" in capsys.readouterr().err


@torch.inference_mode()
def test_the_classifier_head_stays_fp32_so_near_ties_are_not_merged():
    q = load_int8(SHIPPED)
    heads = [m for m in q.modules() if type(m) is torch.nn.Linear]
    assert len(heads) == 1 and heads[0].weight.dtype == torch.float32
    assert not any("quantized" in type(m).__module__ and "Linear" in type(m).__name__ for m in q.modules())


def test_the_precision_rules_live_in_one_place(monkeypatch):
    from ancer_core.core import precision

    monkeypatch.setattr(precision, "native_bf16", lambda device="cpu": True)
    assert precision.offered_precisions("cpu", True) == ["fp32", "bf16", "int8"]
    assert precision.offered_precisions("cpu", False) == ["fp32", "bf16"]
    assert precision.offered_precisions("cuda", True) == ["fp32"]
    monkeypatch.setattr(precision, "native_bf16", lambda device="cpu": False)
    assert precision.offered_precisions("cpu", True) == ["fp32", "int8"]
    precision.check_precisions("int8", "bf16", "cpu")
    with pytest.raises(ac.AncerInputError, match="fp16 needs a CUDA"):
        precision.check_precisions("fp32", "fp16", "cpu")
    with pytest.raises(ac.AncerInputError, match="int8 runs on the CPU"):
        precision.check_precisions("int8", "fp32", "cuda")
    with pytest.raises(ac.AncerInputError, match="precision='fp8'"):
        precision.check_precisions("fp8", "fp32", "cpu")
    # the one autocast wrapper: a no-op for None, bf16 where asked
    with precision.autocast("cpu", None):
        assert not torch.is_autocast_enabled("cpu")
    with precision.autocast(torch.device("cpu"), torch.bfloat16):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
