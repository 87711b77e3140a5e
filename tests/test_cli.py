"""The command line end to end on CPU (tiny N, tiny model): header, resumption, analysis, errors."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import ancer_core as ac
from ancer_core.cli import main
from ancer_core.data.results import COLUMNS, read_results
from ancer_core.models import build_model, save_checkpoint


def run(*argv):
    return main([str(a) for a in argv])


def flags(**options) -> list:
    """``--name value`` pairs in the given order (``chunk_size`` → ``--chunk-size``; True → a bare flag)."""
    return [a for k, v in options.items() for a in (f"--{k.replace('_', '-')}", v) if a is not True]


def tiny(model, **options) -> list:
    """A fixed-σ ℓ2 certify of a few images on the CPU; ``options`` add or override flags."""
    base = dict(model=model, norm="l2", method="fixed", sigma=0.25, N0=4, N=16, device="cpu")
    return ["certify", *flags(**(base | options))]


def two_step(model, method: str) -> list:
    """The flags of a two-iteration optimization of images 0 and 1 with ``method`` (for optimize or certify)."""
    return flags(
        model=model,
        norm="l2",
        method=method,
        sigma=0.25,
        indices="0:2",
        iterations=2,
        samples=4,
        device="cpu",
        preset="quick",
    )


def test_certify_fixed_header_and_resume(ckpt, tmp_path, monkeypatch):
    out = tmp_path / "fixed.tsv"
    args = tiny(ckpt, indices="0:6", N=32, alpha=0.01, out=out, chunk=4)
    # as `python -m ancer_core certify …` sets it: argv[0] is the module's absolute file path
    monkeypatch.setattr("sys.argv", ["/somewhere/site-packages/ancer_core/__main__.py", *map(str, args)])
    assert run(*args) == 0
    header = out.read_text().splitlines()[0].split("\t")
    assert (
        tuple(header[:8])
        == COLUMNS
        == ("idx", "label", "predict", "radius", "radius_proxy", "correct", "min_sigma", "time")
    )
    t = read_results(out)
    assert t["idx"].tolist() == list(range(6)) and np.all(t["min_sigma"] == 0.25)
    meta = json.loads((tmp_path / "fixed.tsv.json").read_text())
    assert meta["N"] == 32 and meta["alpha"] == 0.01 and meta["method"] == "fixed"
    assert meta["command"].startswith("python -m ancer_core certify --model") and "/somewhere" not in meta["command"]
    # the one run record: the preset (here with N and α changed) and the surrogate in words, as the
    # results page shows them
    assert meta["preset"] == "paper, changed" and meta["surrogate"].startswith("the anchored objective")
    assert meta["ancer_core"] == ac.__version__ and "path" not in meta["model_card"]


def test_precision_and_layout_are_recorded_and_bf16_certifies(ckpt, tmp_path):
    out = tmp_path / "bf16.tsv"
    assert run(*tiny(ckpt, indices="0:2", N=32, out=out, precision="bf16", channels_last=True)) == 0
    meta = json.loads((tmp_path / "bf16.tsv.json").read_text())
    assert meta["precision"] == "bf16" and meta["channels_last"] is True
    assert "threads;" in meta["hardware"]  # the CPU and its instruction sets, which reduced precision depends on
    assert read_results(out)["idx"].tolist() == [0, 1]


def test_precision_applies_to_the_optimization_and_resuming_needs_the_same_settings(ckpt, tmp_path, capsys):
    # the gradient solver, unbounded: θ moves off the grid and the bound, so autocast shows in its digits
    common = two_step(ckpt, "isotropic-dd") + ["--iso-solver", "gradient", "--theta-max-ratio", "none"]
    thetas = tmp_path / "th"
    assert run("optimize", *common, "--out", thetas, "--precision", "bf16") == 0
    meta = json.loads((thetas / "settings.json").read_text())
    assert meta["precision"] == "bf16" and meta["world_size"] == 1
    # θ made in bf16 differ from fp32 ones: the autocast really ran
    assert run("optimize", *common, "--out", tmp_path / "th32") == 0
    assert not np.array_equal(np.load(thetas / "theta_00000.npy"), np.load(tmp_path / "th32" / "theta_00000.npy"))
    capsys.readouterr()
    # resuming into θ (or rows) made with another precision or seed would mix two experiments: refused
    assert run("optimize", *common, "--out", thetas, "--indices", "0:4") == 2
    assert "other settings" in capsys.readouterr().err and not (thetas / "theta_00003.npy").exists()
    assert run("optimize", *common, "--out", thetas, "--indices", "0:4", "--precision", "bf16") == 0
    out = tmp_path / "c.tsv"
    certify = ["certify", *common, "--N0", "4", "--N", "16", "--out", out]
    assert run(*certify, "--precision", "bf16") == 0
    assert run(*certify, "--indices", "0:3") == 2
    assert "precision" in capsys.readouterr().err
    assert run(*certify, "--seed", "1", "--precision", "bf16", "--indices", "0:3") == 2
    assert read_results(out)["idx"].tolist() == [0, 1]


def test_the_optimizers_precision_is_a_setting_of_its_own(ckpt, tmp_path):
    common = two_step(ckpt, "ancer")
    both, opt_only = tmp_path / "both", tmp_path / "opt"
    assert run("optimize", *common, "--out", both, "--precision", "bf16") == 0
    assert run("optimize", *common, "--out", opt_only, "--optimizer-precision", "bf16") == 0
    # the optimizers ran in bf16 either way: the same θ
    assert np.array_equal(np.load(both / "theta_00001.npy"), np.load(opt_only / "theta_00001.npy"))
    meta = json.loads((opt_only / "settings.json").read_text())
    assert meta["precision"] == "fp32" and meta["optimizer_precision"] == "bf16"
    assert json.loads((both / "settings.json").read_text())["optimizer_precision"] == "bf16"


def test_a_non_finite_theta_is_refused_not_certified(ckpt, tmp_path, capsys, monkeypatch):
    from types import SimpleNamespace

    import ancer_core.core.protocol as protocol

    def nan_theta(model, x, *a, **k):  # what an overflow in reduced precision would give
        return {"isotropic-dd": SimpleNamespace(theta=torch.full((x.shape[0],), float("nan")))}

    monkeypatch.setattr(protocol, "optimize_theta", nan_theta)
    out = tmp_path / "nan.tsv"
    assert run(*tiny(ckpt, method="isotropic-dd", indices="0:2", out=out)) == 2
    assert "not finite for images [0, 1]" in capsys.readouterr().err
    assert not out.exists() and not out.with_name("nan.tsv.json").exists()  # refused: nothing written


def test_resume_repairs_torn_line_and_skips_done(ckpt, tmp_path):
    out = tmp_path / "r.tsv"
    base = tiny(ckpt, norm="l1", sigma=0.5, out=out)
    assert run(*base, "--indices", "0:5") == 0
    text = out.read_text().splitlines()
    out.write_text("\n".join(text[:4]) + "\n" + text[4][:5])  # rows 0,1,2 + torn row 3
    assert run(*base, "--indices", "0:7") == 0
    t = read_results(out)
    assert t["idx"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert out.read_text().count("\n") == 8
    # identical seeds give identical rows: row 3 recomputed equals the original
    assert out.read_text().splitlines()[4].split("\t")[:7] == text[4].split("\t")[:7]


def test_optimize_then_certify_ancer_and_analyze(ckpt, tmp_path, capsys):
    thetas = tmp_path / "th"
    common = flags(
        model=ckpt, norm="l2", sigma=0.25, indices="0:3", device="cpu", preset="quick", iterations=2, samples=4
    )
    assert run("optimize", "--method", "ancer", *common, "--out", thetas) == 0
    th = np.load(thetas / "theta_00001.npy")
    assert th.shape == (3, 32, 32) and th.nbytes == 3 * 32 * 32 * 4  # not the whole batch's storage
    assert (thetas / "theta_iso_00001.npy").is_file()
    for method, extra in (("fixed", []), ("ancer", ["--thetas", thetas])):
        assert (
            run("certify", "--method", method, *common, *extra, *flags(N0=4, N=16, out=tmp_path / f"{method}.tsv")) == 0
        )
    meta = json.loads((tmp_path / "ancer.tsv.json").read_text())
    assert meta["thetas_settings"]["method"] == "ancer" and meta["thetas_settings"]["settings"]["ancer_iterations"] == 2
    assert meta["thetas_settings"]["preset"] == meta["preset"] == "quick, changed"
    capsys.readouterr()
    assert run("analyze", tmp_path / "fixed.tsv", tmp_path / "ancer.tsv", "--radii", "0", "0.1") == 0
    text = capsys.readouterr().out
    assert "ACR" in text and "proxy radius (ℓp^Θ) is the best" in text and "fixed" in text
    # θ made for another method, σ or norm would make the rows lie about what they certified: refused
    for bad, said in (
        (["--method", "isotropic-dd"], "method: 'ancer', here 'isotropic-dd'"),
        (["--method", "ancer", "--sigma", "0.5"], "sigma: 0.25, here 0.5"),
    ):
        assert (
            run("certify", *common, *bad, "--thetas", thetas, "--N0", "4", "--N", "16", "--out", tmp_path / "bad.tsv")
            == 2
        )
        assert said in capsys.readouterr().err
    assert not (tmp_path / "bad.tsv").exists()


def test_skip_and_max_select_like_the_original(ckpt, tmp_path):
    out = tmp_path / "s.tsv"
    assert run(*tiny(ckpt, skip=3, max=10, N0=2, N=8, out=out)) == 0
    assert read_results(out)["idx"].tolist() == [0, 3, 6, 9]


def test_memory_flag(ckpt, tmp_path, capsys):
    assert run(*tiny(ckpt, indices="0:4", memory=True, out=tmp_path / "m.tsv")) == 0
    assert "memory-based certification" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra,msg",
    [
        (["--alpha", "1.5"], "alpha"),
        (["--N", "0"], "N="),
        (["--N0", "50", "--N", "10"], "smaller than N0"),
        (["--indices", "5:x"], "--indices"),
        (["--sigma", "-1"], "--sigma"),
        (["--model", "nope.pt"], "does not exist"),
        (["--method", "ancer", "--thetas", "/nonexistent"], "--thetas"),
        (["--precision", "fp16"], "needs a CUDA"),
    ],
)
def test_bad_arguments_give_clear_errors(ckpt, tmp_path, capsys, extra, msg):
    args = tiny(ckpt, out=tmp_path / "x.tsv")
    # later flags override earlier ones in argparse
    assert run(*args, *extra) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err


def test_unknown_norm_rejected_by_parser(capsys):
    with pytest.raises(SystemExit) as e:
        run("certify", "--norm", "linf", "--method", "fixed", "--sigma", "0.1", "--out", "x.tsv")
    assert e.value.code == 2 and "linf" in capsys.readouterr().err


def test_help_is_complete(capsys):
    for cmd in ("optimize", "certify", "analyze", "train"):
        with pytest.raises(SystemExit):
            run(cmd, "--help")
        assert "usage" in capsys.readouterr().out


def test_resuming_into_the_results_of_other_weights_is_refused(tmp_path, capsys):
    """A retrained model saved under the same name: its certificates never join the old network's file."""
    path = tmp_path / "m.pt"
    torch.manual_seed(0)
    save_checkpoint(build_model("small-cnn").eval(), "small-cnn", {"note": "first weights"}, path)
    out = tmp_path / "r.tsv"
    base = tiny(path, out=out)
    assert run(*base, "--indices", "0:2") == 0
    made = json.loads(out.with_name(out.name + ".json").read_text())["weights_sha256"]
    assert run(*base, "--indices", "0:3") == 0  # the same weights resume
    torch.manual_seed(1)
    save_checkpoint(build_model("small-cnn").eval(), "small-cnn", {"note": "retrained"}, path)
    capsys.readouterr()
    assert run(*base, "--indices", "0:4") == 2
    assert "weights_sha256" in capsys.readouterr().err and read_results(out)["idx"].tolist() == [0, 1, 2]
    assert json.loads(out.with_name(out.name + ".json").read_text())["weights_sha256"] == made


def test_each_optimizer_has_its_own_flags_and_the_short_ones_alias_the_chosen(ckpt, tmp_path, capsys):
    out = tmp_path / "a.tsv"
    args = tiny(ckpt, method="ancer", indices="0:1", out=out, preset="quick", iterations=2, samples=4)
    assert run(*args, "--iso-iterations", 3, "--iso-samples", 5, "--iso-lr", 0.02) == 0
    settings = json.loads(out.with_name(out.name + ".json").read_text())["settings"]
    assert (settings["iso_iterations"], settings["iso_samples"], settings["iso_lr"]) == (3, 5, 0.02)
    assert (settings["ancer_iterations"], settings["ancer_samples"]) == (2, 4)  # --iterations/--samples: ANCER's
    assert run(*tiny(ckpt, method="ancer", out=tmp_path / "b.tsv", iterations=2, ancer_iterations=3)) == 2
    assert "disagree" in capsys.readouterr().err
    assert run(*tiny(ckpt, out=tmp_path / "c.tsv", iterations=2)) == 0  # fixed σ optimizes nothing: ignored


@pytest.mark.parametrize("command", ["optimize", "certify", "train", "quantize", "analyze"])
def test_help_states_real_defaults_in_one_wording(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "default: None" not in text and "default: False" not in text
    assert "(default " not in text  # one wording: "(default: …)"
    if command == "certify":
        assert "(default: 0:500:20)" in text and "(default: the preset's)" in text and "(default: 1000)" in text


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize("argv", [["--help"], ["models"]])
def test_help_and_models_load_no_numerics(argv):
    """`--help` and `models` answer without importing PyTorch, SciPy or statsmodels (seconds each)."""
    loaded = _modules_after(f"from ancer_core.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass")
    assert not {"torch", "scipy", "statsmodels", "numpy"} & loaded


@pytest.mark.slow
def test_certify_does_not_load_what_it_does_not_use():
    # torchvision (only the ResNet-18 architecture needs it) pulls in torch._dynamo; the statistics
    # libraries are loaded by CERTIFY itself, not by building the command
    loaded = _modules_after("from ancer_core.cli import build_parser\nbuild_parser(['certify'])")
    assert "torch" in loaded and not {"torchvision", "torch._dynamo", "statsmodels", "scipy.stats"} & loaded


def test_progress_says_eta_dash_until_it_can_estimate():
    import io

    from ancer_core.console import Progress

    stream = io.StringIO()
    bar = Progress(10, "work", every=0, stream=stream)
    bar.update(4)  # resumed with 4 done: no rate yet
    assert "eta      –" in stream.getvalue() and "nan" not in stream.getvalue()
    bar.update(6)
    assert stream.getvalue().splitlines()[-1].split("eta")[1].strip().endswith("s")


def test_progress_moves_within_a_batch_through_its_stages(linear_model):
    """The bar moves with each optimizer iteration and noise batch, not once per batch of images: a run of
    two images as one batch reports dozens of increasing positions, the first within the first stage."""
    import io
    import re

    import ancer_core as ac

    torch.manual_seed(0)
    model = linear_model(torch.randn(3 * 32 * 32) * 0.01, 0.3).eval()
    settings = ac.preset("quick", n0=64, n=512, ancer_iterations=4, iso_samples=8, ancer_samples=8)
    work = ac.stage_work(settings)
    assert list(work) == ["certify fixed", "isotropic-dd", "certify isotropic-dd", "ancer", "certify ancer"]
    stream = io.StringIO()
    bar = ac.Progress(2, "run", every=0, stream=stream)
    x = torch.rand(2, 3, 32, 32)
    ac.run_all_methods(model, x, "l2", 0.25, settings, indices=[0, 1], callback=bar.stages(work))
    shares = [float(m) for m in re.findall(r"(\d+\.\d)%", stream.getvalue())]
    assert len(shares) > 20 and shares == sorted(shares) and 0 < shares[0] < 10 and shares[-1] == 100.0


def test_ancer_app_leaves_streamlits_own_settings_to_streamlit(monkeypatch):
    """Only the flags given become Streamlit flags: its environment (STREAMLIT_SERVER_PORT, …) and config
    files decide the rest; Streamlit's own flags pass through after --; the port said is the one used."""
    from ancer_core.cli import build_parser
    from ancer_core.cli.app import command, listening_port

    def argv_env(*words):
        return command(build_parser(["app", *words]).parse_args(["app", *words]))[:2]

    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8765")
    argv, env = argv_env("--headless")
    assert not any(a.startswith("--server.port") or a.startswith("--server.address") for a in argv)
    assert env["STREAMLIT_SERVER_PORT"] == "8765" and listening_port(argv, env) == "8765"
    argv, env = argv_env("--port", "9000", "--address", "0.0.0.0", "--base-url", "ancer")
    assert argv[-6:] == ["--server.port", "9000", "--server.address", "0.0.0.0", "--server.baseUrlPath", "ancer"]
    assert listening_port(argv, env) == "9000"
    argv, env = argv_env("--", "--server.port=7000", "--theme.base", "dark")
    assert argv[-3:] == ["--server.port=7000", "--theme.base", "dark"] and listening_port(argv, env) == "7000"
    with pytest.raises(ac.AncerInputError, match="long ones"):
        argv_env("--", "-x")


def test_usage_names_the_command_as_it_was_called(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["/venv/bin/ancer", "--help"])
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: ancer ")


def test_every_library_name_the_app_imports_is_defined_where_it_imports_it_from():
    """The app imports each library name from its defining module (static tools follow it there); a name
    taken from the wrong module fails only when its page runs, so every such import is checked here."""
    import ast
    import importlib

    app = Path(__file__).resolve().parents[1] / "app"
    missing = []
    for f in sorted(app.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ancer_core"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            missing.append(f"{f.relative_to(app)}: {node.module}.{alias.name}")
    assert not missing, missing
