"""``app``: start the ANCER explorer (the Streamlit app installed with ``pip install 'ancer[app]'``).

The app is the package ``ancer_app`` (``app/`` in a checkout). It is found without importing it (the
command line stays free of Streamlit until it starts it) and run from its own folder, so that its
``.streamlit/config.toml`` — settings for a classroom — applies from wherever the command is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from ..core.validation import AncerInputError


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("--port", type=int, default=8501, help="the port the app listens on")
    a.add_argument(
        "--address",
        default=None,
        help="the address to listen on: 0.0.0.0 lets a room reach it (default: Streamlit's, every interface)",
    )
    a.add_argument(
        "--results",
        default=None,
        help="a results grid for the results explorer (default: results/ of the checkout the app runs from, if any)",
    )
    a.add_argument("--headless", action="store_true", help="do not open a browser (a server for a class)")


def app_folder() -> Path:
    """Where the installed app lives (its ``main.py``), or an error that says how to install it."""
    spec = importlib.util.find_spec("ancer_app")
    if spec is None or not spec.submodule_search_locations:
        raise AncerInputError("the app is not installed; install it with pip install 'ancer[app]'")
    if importlib.util.find_spec("streamlit") is None:
        raise AncerInputError("the app needs Streamlit; install it with pip install 'ancer[app]'")
    return Path(next(iter(spec.submodule_search_locations)))


def command(args) -> tuple[list[str], dict[str, str], Path]:
    """The command line, environment and folder that start the app."""
    folder = app_folder()
    if not 1 <= args.port <= 65535:
        raise AncerInputError(f"--port {args.port}: use a port from 1 to 65535 (Streamlit's default is 8501)")
    env = dict(os.environ)
    if args.results is not None:
        if not Path(args.results).is_dir():
            raise AncerInputError(f"--results {args.results!r} is not a folder; give a results grid (e.g. results/)")
        env["ANCER_RESULTS"] = str(Path(args.results).resolve())
    argv = [sys.executable, "-m", "streamlit", "run", str(folder / "main.py"), "--server.port", str(args.port)]
    if args.address:
        argv += ["--server.address", args.address]
    if args.headless:
        argv += ["--server.headless", "true"]
    return argv, env, folder


def run(args) -> int:
    argv, env, folder = command(args)
    print(f"starting the ANCER explorer on port {args.port} (Ctrl+C stops it)", file=sys.stderr)
    if os.name == "posix":
        # become the server (exec): a signal to stop `ancer app` — from a terminal, a service manager or a
        # test — then stops the server itself, which as a child process would have outlived its parent
        os.chdir(folder)
        os.execve(sys.executable, argv, env)
    return subprocess.call(argv, env=env, cwd=folder)
