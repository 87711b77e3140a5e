"""The app ships with the package: a wheel built from the checkout, installed into a fresh virtual
environment outside it, starts with `ancer app` and serves the live page with its Run button."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
pytest.importorskip("websockets", reason="the protocol client needs the websockets package")
import classroom  # noqa: E402

pytestmark = pytest.mark.slow


def test_a_wheel_installed_elsewhere_serves_the_app_with_ancer_app(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
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
    server = subprocess.Popen(
        [env_dir / "bin" / "ancer", "app", "--headless", "--port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        classroom.wait_until_healthy(port, server, log)
        # open the live page and click Run as a browser would: the page is there, its button works
        (session,) = asyncio.run(
            classroom.classroom(f"ws://127.0.0.1:{port}/_stcore/stream", [3], spread=0.0, timeout=240)
        )
    finally:
        server.terminate()
        server.wait(30)
    with socket.socket() as probe:  # stopping `ancer app` stopped the server: nothing listens on its port
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert session.certificates_at is not None and not session.exceptions and not session.errors, log.read_text()
    assert "Traceback" not in log.read_text()
