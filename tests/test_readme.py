"""The README runs as written: every command of its Command line block (the long ones on two images, train
and quantize on a small archive in the train split's layout), its Python example, the Quick start's
commands, every file it links, its presets table against the library and `--help`, and it stays a first
screen (≤ 200 lines)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import ancer_core as ac

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the README's section ``## title`` (up to the next ``## ``)."""
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def indented_commands(text: str) -> list[str]:
    """The commands of a section's indented code blocks, one a line, without their trailing comments."""
    lines = [ln[4:] for ln in text.splitlines() if ln.startswith("    ") and not ln.startswith("     ")]
    return [re.sub(r"\s+#.*$", "", ln).strip() for ln in lines if ln.strip()]


def test_the_readme_is_a_first_screen():
    assert len(README.splitlines()) <= 200


def test_every_file_the_readme_links_exists():
    links = re.findall(r"\]\(([^)#\s]+)\)", README)
    local = [link for link in links if "://" not in link]
    assert local and all((ROOT / link).exists() for link in local), [x for x in local if not (ROOT / x).exists()]


def test_the_presets_table_is_the_librarys_and_the_commands():
    rows = re.findall(
        r"^\| `(\w+)` \| ([\d,]+) \| ([\d,]+) \| ([\d.]+) \| scalar solver, (\d+) samples \| (\d+) × (\d+) \|",
        README,
        re.M,
    )
    assert sorted(r[0] for r in rows) == sorted(ac.PRESETS)
    for name, n0, n, alpha, iso_samples, iterations, samples in rows:
        p = ac.PRESETS[name]
        assert (p.n0, p.n, p.alpha, p.iso_samples, p.ancer_iterations, p.ancer_samples, p.iso_solver) == (
            int(n0.replace(",", "")),
            int(n.replace(",", "")),
            float(alpha),
            int(iso_samples),
            int(iterations),
            int(samples),
            "scalar",
        ), name
    helptext = subprocess.run(
        [sys.executable, "-m", "ancer_core", "certify", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert all(name in helptext for name in ac.PRESETS)


def test_the_quick_start_commands_are_the_projects():
    commands = indented_commands(section("Quick start"))
    assert "pip install -r requirements.txt" in commands and "ancer app" in commands
    fast = next(c for c in commands if c.startswith("python -m pytest"))
    assert shlex.split(fast)[-2:] == ["-m", "not slow"]  # the marker the fast loop deselects
    assert '"slow:' in (ROOT / "pyproject.toml").read_text()
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()  # the project itself, as said
    app_help = subprocess.run([sys.executable, "-m", "ancer_core", "app", "--help"], capture_output=True, text=True)
    assert app_help.returncode == 0 and "--port" in app_help.stdout


def _shorten(command: str, archive: Path) -> list[str]:
    """A README command, made to finish in seconds: two images instead of 25, train and quantize on a small
    archive in the train split's layout (two steps, 64 calibration images)."""
    words = shlex.split(command.replace("--indices 0:500:20", "--indices 0:40:20"))
    words = [str(archive) if w == "PATH" else w for w in words]
    if words[3] == "train":
        words += ["--epochs", "1", "--max-steps", "2", "--batch-size", "8"]
    if words[3] == "quantize":
        words += ["--images", "64"]
    return [sys.executable, *words[1:]]


@pytest.mark.slow
def test_the_command_line_examples_run_as_written(tmp_path, fake_archive):
    commands = [c for c in indented_commands(section("Command line")) if c.startswith("python -m ancer_core")]
    assert len(commands) >= 9
    archive = fake_archive(tmp_path, per_class=7)
    for command in commands:
        done = subprocess.run(_shorten(command, archive), cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        if " analyze " in command:
            assert "Certified accuracy (%) at radius r" in done.stdout, done.stdout
    assert (tmp_path / "runs" / "m.pt").is_file() and (tmp_path / "runs" / "m.int8.pt").is_file()


@pytest.mark.slow
def test_the_python_example_runs_as_written(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", section("Python API"), re.S)
    code = code.replace("x[:4]", "x[:1]").replace("range(4)", "range(1)")  # one image instead of four
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [line.split()[0] for line in done.stdout.splitlines()]
    assert printed == list(ac.METHODS), done.stdout
    assert "%" in done.stderr  # the progress line the example asks for
