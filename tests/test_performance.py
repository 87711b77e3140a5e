"""Out-of-memory handling (halve and go on, same results) and the benchmark's smoke run.

Nothing here asserts a time: the benchmark is run for its structure and its sanity (both paths
ran, every section has rows, the original-style CERTIFY agrees with ours where the answer is
deterministic)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ancer_core.core.protocol import optimize_theta_split
from ancer_core.core.settings import Settings
from ancer_core.core.smoothing import SamplingConfig, certify, make_generators, sample_counts
from ancer_core.core.stats import lower_confidence_bound

ROOT = Path(__file__).resolve().parent.parent


class LimitedMemory(torch.nn.Module):
    """Wraps a model; raises CUDA-style out-of-memory for forward batches larger than ``limit``."""

    def __init__(self, inner: torch.nn.Module, limit: int):
        super().__init__()
        self.inner, self.limit, self.refused = inner, limit, 0
        self.eval()

    def forward(self, x):
        if x.shape[0] > self.limit:
            self.refused += 1
            raise torch.OutOfMemoryError(f"fake: {x.shape[0]} > {self.limit}")
        return self.inner(x)


def _tiny_cnn() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 3),
    ).eval()


def test_sample_counts_halves_the_group_on_oom_and_gives_the_same_counts():
    model = _tiny_cnn()
    x = torch.rand(6, 3, 8, 8)
    theta = torch.full((6,), 0.5)
    cfg = SamplingConfig(noise_batch=20, max_batch=120)  # 6 images × 20 samples in one pass
    want = sample_counts(model, x, theta, "l2", 60, make_generators(0, range(6), "cpu"), config=cfg)
    limited = LimitedMemory(model, limit=40)  # at most 2 images × 20 samples per pass
    got = sample_counts(limited, x, theta, "l2", 60, make_generators(0, range(6), "cpu"), config=cfg)
    assert limited.refused >= 1
    np.testing.assert_array_equal(got, want)
    with pytest.raises(torch.OutOfMemoryError):  # even one image does not fit: the error is not swallowed
        sample_counts(
            LimitedMemory(model, limit=10), x, theta, "l2", 60, make_generators(0, range(6), "cpu"), config=cfg
        )


@pytest.mark.parametrize("solver", ["gradient", "scalar"])
def test_optimization_splits_the_batch_on_oom_and_gives_the_same_theta(solver):
    """Out of memory, the images are split (and the scalar solver first passes fewer θ values at once)."""
    model = _tiny_cnn()
    x = torch.rand(4, 3, 8, 8)
    st = Settings(iso_iterations=3, iso_samples=8, ancer_iterations=3, ancer_samples=8, iso_solver=solver)
    want = optimize_theta_split(model, x, "l2", "ancer", 0.25, st, seed=3, indices=[10, 11, 12, 13])
    limited = LimitedMemory(model, limit=16)  # two images × 8 samples
    got = optimize_theta_split(limited, x, "l2", "ancer", 0.25, st, seed=3, indices=[10, 11, 12, 13])
    assert limited.refused >= 1
    for k in ("isotropic-dd", "ancer"):
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=1e-6)
    from ancer_core.core.validation import AncerInputError

    with pytest.raises(AncerInputError, match="lower --iso-samples"):
        optimize_theta_split(LimitedMemory(model, limit=4), x, "l2", "ancer", 0.25, st, seed=3, indices=[0, 1, 2, 3])


@pytest.mark.parametrize("solver", ["gradient", "scalar"])
def test_on_a_cpu_the_optimizers_pass_a_few_hundred_noisy_images_at_once_with_the_same_theta(solver, monkeypatch):
    """The optimizers' surrogate groups the images so that one pass holds at most the CPU's cap of noisy
    copies (faster per image than thousands at once), and θ is the same as in one pass."""
    from ancer_core.core import surrogate

    model = _tiny_cnn()
    x = torch.rand(5, 3, 8, 8)
    st = Settings(iso_iterations=3, iso_samples=8, ancer_iterations=3, ancer_samples=8, iso_solver=solver)
    run = dict(seed=3, indices=[10, 11, 12, 13, 14])
    monkeypatch.setattr(surrogate, "CPU_OPTIMIZER_PASS", 10_000)
    want = optimize_theta_split(model, x, "l2", "ancer", 0.25, st, **run)
    monkeypatch.setattr(surrogate, "CPU_OPTIMIZER_PASS", 16)  # two images × 8 samples
    seen = LimitedMemory(model, limit=16)  # would refuse (and count) any larger pass
    got = optimize_theta_split(seen, x, "l2", "ancer", 0.25, st, **run)
    assert seen.refused == 0
    for k in ("isotropic-dd", "ancer"):
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=1e-6)
    assert surrogate.optimizer_pass("cpu") == 16 and surrogate.optimizer_pass("cuda") is None


def test_the_one_route_splits_the_optimizers_batch_on_oom_with_the_same_certificates():
    """run_all_methods (what the command line, the app and the scripts call) out of memory in the optimizers:
    the same θ and certificates as with memory to spare; ANCER still starts from Isotropic DD's θ."""
    from ancer_core.core.protocol import run_all_methods

    model = _tiny_cnn()
    x = torch.rand(4, 3, 8, 8)
    st = Settings(
        n0=8, n=64, iso_iterations=3, iso_samples=8, ancer_iterations=3, ancer_samples=8, iso_solver="gradient"
    )
    options = dict(seed=3, indices=[10, 11, 12, 13], config=SamplingConfig(noise_batch=8, max_batch=8))
    want = run_all_methods(model, x, "l2", 0.25, st, **options)
    limited = LimitedMemory(model, limit=16)  # two images × 8 samples
    got = run_all_methods(limited, x, "l2", 0.25, st, certify_model=model, **options)
    assert limited.refused >= 1
    for m in want:
        torch.testing.assert_close(got[m].theta, want[m].theta, rtol=0, atol=1e-6)
        assert [c.p_lower for c in got[m].certificates] == [c.p_lower for c in want[m].certificates]


def test_original_style_certify_matches_ours_when_the_answer_is_deterministic(linear_model):
    import original_style

    x = torch.rand(2, 3, 4, 4)
    model = linear_model(torch.zeros(48), 5.0)  # always class 1, whatever the noise
    label, p_low = original_style.certify_one(model, x[0], 0.5, n0=10, n=500, alpha=0.001, batch=128, num_classes=2)
    ours = certify(model, x, 0.5, "l2", 10, 500, 0.001)
    assert label == 1 and all(c.prediction == 1 for c in ours)
    assert p_low == pytest.approx(float(lower_confidence_bound(500, 500, 0.001)), rel=1e-12)
    assert ours[0].p_lower == pytest.approx(p_low, rel=1e-12)


@pytest.mark.slow
def test_benchmark_smoke_run(tmp_path):
    out = tmp_path / "smoke.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["hardware"]["device"] == "cpu" and doc["hardware"]["matmul_fp32_gflop_per_s"] > 0
    assert isinstance(doc["hardware"]["isa_caps"], dict)
    assert 10e6 < doc["model_forward_flops"] <= 100e6  # the shipped models' budget: ≤ 100 MFLOP per image
    for section in ("certify", "ancer", "end-to-end"):  # the attack section has no original-style path
        paths = {r["path"] for r in doc["rows"] if r["section"] == section}
        assert {"ours", "original-style"} <= paths, section
    assert all(r["seconds"] > 0 and r["samples_per_s"] > 0 for r in doc["rows"])
    e2e = {r["variant"] for r in doc["rows"] if r["section"] == "end-to-end"}
    assert {"fixed", "isotropic-dd", "ancer"} <= e2e
    assert {s["section"] for s in doc["speedups"]} == {"certify", "ancer", "end-to-end"}
    attack = [r for r in doc["rows"] if r["section"] == "attack"]
    assert attack or "ANCER abstained on this image" in proc.stdout
    assert all(r["variant"] == "attack 2×4 + PREDICT" and r["samples_per_image"] == 2 * 4 + 64 for r in attack)
    assert doc["plan"]["n"] == 64 and doc["end_to_end_settings"]["iso_iterations"] == 2
    # the smoke preset runs every row of the GPU run too (its code paths, not its timings)
    certify_variants = {r["variant"] for r in doc["rows"] if r["section"] == "certify"}
    assert {"strict fp32 (no TF32)", "fp16 autocast", "max_batch 16000 fp16 channels-last"} <= certify_variants
    assert {"fp16 autocast", "bf16 autocast + channels-last"} <= {
        r["variant"] for r in doc["rows"] if r["section"] == "ancer"
    }
    # every mean is also timed against our default back to back (drift-proof ratio)
    variants = [
        r
        for r in doc["rows"]
        if r["path"] == "ours" and r["section"] in ("certify", "ancer") and r["variant"] != "batched, default"
    ]
    assert variants and all(r["speed_vs_default_back_to_back"] > 0 for r in variants)
    fast = [r for r in doc["rows"] if r["path"] == "ours, bf16 + channels-last"]
    assert {r["variant"] for r in fast} == {"fixed", "isotropic-dd", "ancer", "all three methods"}
    assert "speed-up over the original-style path" in proc.stdout


class CountingModel(torch.nn.Module):
    """Counts the images it sees, split by whether autograd is recording (optimizers) or not (CERTIFY)."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, {"forward": 0, "gradient": 0}
        self.eval()

    def forward(self, x):
        self.seen["gradient" if torch.is_grad_enabled() else "forward"] += x.shape[0]
        return self.inner(x)


@pytest.mark.parametrize("methods", [("fixed", "isotropic-dd", "ancer"), ("fixed",), ("ancer",)])
def test_work_estimate_counts_what_the_pipeline_really_runs(methods):
    from ancer_core.core.protocol import run_all_methods
    from ancer_core.core.settings import work_estimate

    model = CountingModel(_tiny_cnn())
    st = Settings(n0=5, n=37, iso_iterations=3, iso_samples=7, ancer_iterations=2, ancer_samples=11)
    run_all_methods(model, torch.rand(1, 3, 8, 8), "l2", 0.25, st, methods=methods)
    want = work_estimate(st, methods)
    # each CERTIFY also runs the network once on the clean image to learn the number of classes
    assert model.seen == {"forward": want["forward"] + len(methods), "gradient": want["gradient"]}


def test_each_methods_result_is_handed_over_as_soon_as_it_is_certified():
    """on_result sees each method once, in order, before the next method's first network pass, and gets
    the very result the run returns."""
    from ancer_core.core.protocol import run_all_methods

    model = CountingModel(_tiny_cnn())
    st = Settings(n0=5, n=37, iso_iterations=3, iso_samples=7, ancer_iterations=2, ancer_samples=11)
    handed, passes = {}, []

    def on_result(method, result):
        handed[method] = result
        passes.append((method, dict(model.seen)))

    out = run_all_methods(model, torch.rand(1, 3, 8, 8), "l2", 0.25, st, on_result=on_result)
    assert list(handed) == list(out) == ["fixed", "isotropic-dd", "ancer"]
    assert all(handed[m] is out[m] for m in out)
    # fixed σ is handed over after its CERTIFY alone: no optimizer had run yet
    assert passes[0][1] == {"forward": st.n0 + st.n + 1, "gradient": 0}
    # Isotropic DD (its scalar solver: forward passes only) before ANCER's gradient steps
    assert passes[1][1]["forward"] > passes[0][1]["forward"] and passes[1][1]["gradient"] < passes[2][1]["gradient"]


def test_warm_up_runs_the_pipeline_lightly_and_changes_no_later_result():
    from dataclasses import replace

    from ancer_core.core.protocol import run_all_methods, warm_up
    from ancer_core.core.settings import work_estimate

    model = CountingModel(_tiny_cnn())
    model.input_shape = (3, 8, 8)
    st = Settings(n0=5, n=3_000, iso_iterations=3, iso_samples=7, ancer_iterations=4, ancer_samples=11)
    x = torch.rand(1, 3, 8, 8)
    before = run_all_methods(model, x, "l2", 0.25, st, seed=3, indices=[5])
    model.seen = {"forward": 0, "gradient": 0}
    assert warm_up(model, "l2", 0.25, st) > 0
    # one noise batch of N and one step of each optimizer (+1 clean pass per CERTIFY for the class count)
    light = work_estimate(replace(st, n=1_000, iso_iterations=1, ancer_iterations=1))
    assert model.seen == {"forward": light["forward"] + 3, "gradient": light["gradient"]}
    after = run_all_methods(model, x, "l2", 0.25, st, seed=3, indices=[5])
    for m in before:
        assert torch.equal(before[m].theta, after[m].theta)
        assert before[m].certificates[0].p_lower == after[m].certificates[0].p_lower


def test_hardware_names_the_instruction_set_caps_of_the_environment(monkeypatch):
    from ancer_core.models.speed import ISA_CAP_VARIABLES, hardware, isa_caps

    for k in ISA_CAP_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    assert isa_caps() == {} and "=" not in hardware("cpu")
    monkeypatch.setenv("FBGEMM_ENABLE_INSTRUCTIONS", "AVX2")
    assert isa_caps() == {"FBGEMM_ENABLE_INSTRUCTIONS": "AVX2"}
    assert hardware("cpu").endswith("; FBGEMM_ENABLE_INSTRUCTIONS=AVX2)")


def test_measure_throughput_is_positive_and_finite():
    from ancer_core.models import measure_throughput

    rate = measure_throughput(_tiny_cnn(), "cpu", batch=16)
    assert set(rate) == {"forward", "gradient"} and all(np.isfinite(v) and v > 0 for v in rate.values())


@pytest.mark.slow
def test_benchmark_paper_preset_runs_on_resnet18_at_tiny_sizes(tmp_path):
    """The GPU command (`--preset paper`: the paper's ResNet-18 with random weights, BatchNorm
    folded) run on the CPU at tiny sizes with every CUDA row: its code paths work before any GPU
    session spends its time on them."""
    out = tmp_path / "paper.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--preset",
            "paper",
            "--device",
            "cpu",
            "--images",
            "1",
            "--baseline-images",
            "1",
            "--n",
            "40",
            "--variant-n",
            "40",
            "--n0",
            "4",
            "--ancer-iterations",
            "1",
            "--ancer-samples",
            "2",
            "--e2e",
            "smoke",
            "--e2e-images",
            "1",
            "--no-compile",
            "--pairs",
            "1",
            "--pair-n",
            "20",
            "--all-variants",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["model"].startswith("resnet18-imagenet-style") and 70e6 < doc["model_forward_flops"] < 80e6
    # the attack section has a row unless ANCER abstains (random weights usually do)
    assert (
        {"certify", "ancer", "end-to-end"}
        <= {r["section"] for r in doc["rows"]}
        <= {"certify", "ancer", "end-to-end", "attack"}
    )
    assert any(r["path"] == "ours, bf16 + channels-last" for r in doc["rows"])
