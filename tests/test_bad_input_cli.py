"""Bad input on the command line, table-driven (in-process): every case asserts the error contract of
docs/conventions.md ("Errors"): exit status 2, one line that names the bad value or file and says what to
do, no traceback, and no file created or changed. The Python API and the app: tests/test_bad_input.py."""

from __future__ import annotations

import os
import shlex
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from badinput import CERTIFY, OPTIMIZE, OUT, ROW, SIDECAR, TRAIN, check_message, run_cli, snapshot

from ancer_core.data.results import HEADER


@dataclass
class Case:
    """One bad input: the arguments (``{d}`` is the work folder), words the message must hold, and what
    to put in place first (``setup(d)``; removed after the case)."""

    id: str
    argv: str
    expect: tuple[str, ...]
    setup: dict = field(default_factory=dict)  # relative path → text to write before the run


CLI_CASES = [
    # numbers where they enter
    Case("sigma-negative", CERTIFY + OUT + " --sigma -1", ("--sigma", "from 1e-06 to 1e+06")),
    Case("sigma-zero", CERTIFY + OUT + " --sigma 0", ("--sigma", "from 1e-06 to 1e+06")),
    Case("sigma-nan", CERTIFY + OUT + " --sigma nan", ("--sigma", "from 1e-06 to 1e+06")),
    Case("sigma-inf", CERTIFY + OUT + " --sigma inf", ("--sigma", "from 1e-06 to 1e+06")),
    Case("sigma-text", CERTIFY + OUT + " --sigma abc", ("--sigma", "abc")),
    Case("sigma-huge", CERTIFY + OUT + " --sigma 1e300", ("--sigma", "from 1e-06 to 1e+06")),
    Case("sigma-tiny", CERTIFY + OUT + " --sigma 1e-300", ("--sigma", "from 1e-06 to 1e+06")),
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
    Case("model-non-tensor", CERTIFY + OUT + " --model {d}/nontensor.pt", ("nontensor.pt", "names to tensors")),
    Case("model-string-card", CERTIFY + OUT + " --model {d}/strcard.pt", ("strcard.pt", "'card' is a str")),
    Case("model-list", CERTIFY + OUT + " --model {d}/list.pt", ("list.pt", "'state_dict'")),
    Case("out-is-a-checkpoint", CERTIFY + " --out {d}/tiny.pt", ("tiny.pt", "not a text file")),
    Case("tolerance-with-fixed", CERTIFY + OUT + " --sampling fixed --tolerance 0.5", ("--tolerance", "sequential")),
    Case("analyze-a-checkpoint", "analyze {d}/tiny.pt", ("tiny.pt", "not a text file")),
    Case("analyze-a-folder", "analyze {d}/folder", ("folder", "is a folder")),
    Case("analyze-dev-null", "analyze /dev/null", ("/dev/null", "not a regular file")),
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
