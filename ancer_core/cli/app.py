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
    a.add_argument(
        "--port",
        type=int,
        default=None,
        help="the port the app listens on (default: Streamlit's, 8501, or its STREAMLIT_SERVER_PORT)",
    )
    a.add_argument(
        "--address",
        default=None,
        help="the address to listen on: 0.0.0.0 lets a room reach it (default: Streamlit's, every interface, "
        "or its STREAMLIT_SERVER_ADDRESS)",
    )
    a.add_argument(
        "--base-url",
        default=None,
        help="serve the app under this path, e.g. ancer behind a proxy at /ancer (default: Streamlit's, the root, "
        "or its STREAMLIT_SERVER_BASE_URL_PATH)",
    )
    a.add_argument(
        "--results",
        default=None,
        help="a results grid for the results explorer (default: results/ of the checkout the app runs from, if any)",
    )
    a.add_argument("--headless", action="store_true", help="do not open a browser (a server for a class)")
    a.add_argument(
        "streamlit",
        nargs=argparse.REMAINDER,
        metavar="-- STREAMLIT_FLAGS",
        help="Streamlit's own flags after --, passed on as they are (e.g. -- --theme.base dark); Streamlit's "
        "environment settings (STREAMLIT_SERVER_PORT, …) apply as well, below any flag given here",
    )


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
    if args.port is not None and not 1 <= args.port <= 65535:
        raise AncerInputError(f"--port {args.port}: use a port from 1 to 65535 (Streamlit's default is 8501)")
    env = dict(os.environ)
    if args.results is not None:
        if not Path(args.results).is_dir():
            raise AncerInputError(f"--results {args.results!r} is not a folder; give a results grid (e.g. results/)")
        env["ANCER_RESULTS"] = str(Path(args.results).resolve())
    # only what was asked for becomes a flag: a flag outranks Streamlit's environment settings, which a
    # service manager or a container sets (STREAMLIT_SERVER_PORT, …), and its config files
    argv = [sys.executable, "-m", "streamlit", "run", str(folder / "main.py")]
    for flag, value in (("port", args.port), ("address", args.address), ("baseUrlPath", args.base_url)):
        if value is not None:
            argv += [f"--server.{flag}", str(value)]
    if args.headless:
        argv += ["--server.headless", "true"]
    extra = list(args.streamlit or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    bad = [a for a in extra if a.startswith("-") and not a.startswith("--")]
    if bad:
        raise AncerInputError(f"{bad[0]!r}: Streamlit's flags after -- are long ones, e.g. -- --theme.base dark")
    return argv + extra, env, folder


def listening_port(argv: list[str], env: dict[str, str]) -> str:
    """The port the server will listen on, as Streamlit decides it: the last flag, its environment, its default."""
    port = env.get("STREAMLIT_SERVER_PORT") or "8501"
    for k, a in enumerate(argv):
        if a == "--server.port" and k + 1 < len(argv):
            port = argv[k + 1]
        elif a.startswith("--server.port="):
            port = a.split("=", 1)[1]
    return port


def run(args) -> int:
    argv, env, folder = command(args)
    print(f"starting the ANCER explorer on port {listening_port(argv, env)} (Ctrl+C stops it)", file=sys.stderr)
    if os.name == "posix":
        # become the server (exec): a signal to stop `ancer app` — from a terminal, a service manager or a
        # test — then stops the server itself, which as a child process would have outlived its parent
        os.chdir(folder)
        os.execve(sys.executable, argv, env)
    return subprocess.call(argv, env=env, cwd=folder)
