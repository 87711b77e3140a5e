"""The app ships with the package: a wheel built from the checkout, installed into a fresh virtual
environment outside it, starts with `ancer app` (on the port Streamlit's own environment setting
names), serves all five pages without an exception and runs the live page."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("websockets", reason="the protocol client needs the websockets package")
import classroom  # noqa: E402  (after the importorskip above)

pytestmark = pytest.mark.slow
PAGES = ("", "toy", "hessian", "theory", "results")  # URL paths: the live page is the root


def test_a_wheel_installed_elsewhere_serves_the_app_with_ancer_app(tmp_path):
    # built from a copy of what the wheel is made of: an in-tree build would reuse build/lib, whose stale copies
    # of files (a folder the package list forgot, say) would hide what a clean machine's wheel lacks
    source = tmp_path / "source"
    for folder in ("ancer_core", "app"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(wheels)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("ancer-*.whl")
    env_dir = tmp_path / "venv"  # its own site-packages; the dependencies come from this interpreter's
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = subprocess.run(
        [python, "-c", "import ancer_app, ancer_core; print(ancer_app.__file__, ancer_core.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in found and str(env_dir) in found  # the installed copies, not the checkout
    port = classroom.free_port()
    log = tmp_path / "app.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["STREAMLIT_SERVER_PORT"] = str(port)  # Streamlit's own setting, which `ancer app` must not override
    server = subprocess.Popen(
        [env_dir / "bin" / "ancer", "app", "--headless"],
        cwd=elsewhere,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        classroom.wait_until_healthy(port, server, log)
        url = f"ws://127.0.0.1:{port}/_stcore/stream"
        # every page, as a student opens it; then the live page's Run, clicked as a browser would
        problems = {page: asyncio.run(classroom.open_page(url, page)) for page in PAGES}
        (session,) = asyncio.run(classroom.classroom(url, [3], spread=0.0, timeout=240))
    finally:
        server.terminate()
        server.wait(30)
    with socket.socket() as probe:  # stopping `ancer app` stopped the server: nothing listens on its port
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert problems == {page: [] for page in PAGES}, log.read_text()[-3000:]
    assert session.certificates_at is not None and not session.exceptions and not session.errors, log.read_text()
    assert "Traceback" not in log.read_text()
