"""Command line: ``python -m ancer_core {optimize,certify,grid,analyze,models,train,quantize,app,lecture} …``,
one module per command. Run ``python -m ancer_core COMMAND --help`` for each command's options."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..core.errors import AncerInputError
from .formatting import HelpFormatter

# command → (its one-line help, its module). Only the command being run is imported, so that
# `--help` and `models` answer without loading PyTorch.
COMMANDS = {
    "optimize": ("optimize θ per image and save it (DIR/theta_IDX.npy)", ".optimize"),
    "certify": (
        "certify images and write a TSV (idx label predict radius radius_proxy correct min_sigma time …)",
        ".certify",
    ),
    "grid": ("the results grid: every method on every shipped model, one folder per model (resumable)", ".grid"),
    "analyze": ("print certified accuracy (Tables 1/2) and superset shares (Tables 4/5)", ".analyze"),
    "models": ("list the shipped models with their cards", ".models"),
    "train": ("train a base classifier with noise augmentation", ".train"),
    "quantize": (
        "calibrate the int8 network of a model on noisy training images (writes NAME.int8.pt beside it)",
        ".quantize",
    ),
    "app": ("start the ANCER explorer, the Streamlit app (pip install 'ancer[app]')", ".app"),
    "lecture": ("prepare a lecture's views before the class, so the app shows each without waiting", ".lecture"),
}

EPILOG = """examples:
  python -m ancer_core models
  python -m ancer_core certify --norm l2 --method fixed --sigma 0.25 --indices 0:500:20 --out runs/fixed.tsv --preset quick
  python -m ancer_core optimize --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --out runs/ancer_thetas --preset quick
  python -m ancer_core certify --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --thetas runs/ancer_thetas --out runs/ancer.tsv --preset quick
  python -m ancer_core analyze runs/fixed.tsv runs/ancer.tsv --radii 0 0.25 0.5 0.75 1.0

σ (--sigma) is the noise's standard deviation for both noises; uniform noise (l1) has half-width
λ = √3·σ (Yang et al. 2020). --uniform-convention ancer-original uses the original code's λ = σ/√3."""  # noqa: E501


def program_name() -> str:
    """How the user called us: ``ancer`` (the installed command) or ``python -m ancer_core``."""
    return "ancer" if os.path.basename(sys.argv[0]) in ("ancer", "ancer.exe") else "python -m ancer_core"


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` (the first word that is one) gets its options."""
    p = argparse.ArgumentParser(
        prog=program_name(),
        description="ANCER: anisotropic certification via "
        "sample-wise volume maximization (Eiras, Alfarra et al., TMLR 2022).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    chosen = next((a for a in (sys.argv[1:] if argv is None else argv) if a in COMMANDS), None)
    for name, (text, module) in COMMANDS.items():
        c = sub.add_parser(name, help=text, description=text, formatter_class=HelpFormatter)
        if name == chosen:
            command = importlib.import_module(module, __name__)
            command.add_arguments(c)
            c.set_defaults(run=command.run)
    return p


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # σ, θ, ℓ₂ on a terminal that cannot show them: σ becomes \u03c3
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser(argv).parse_args(argv)
    try:
        return args.run(args)
    except AncerInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… | head`: the reader has what it wanted (before OSError, its parent)
        try:  # as Python's docs advise: no second error when the interpreter flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout with no file behind it (io.UnsupportedOperation is a ValueError)
            pass
        return 0
    except OSError as e:  # the machine's, not the input's: a full disk, a folder removed while running
        where = f" ({e.filename})" if e.filename else ""
        print(
            f"error: {e.strerror or e}{where}; free space or permissions, then run the same command to resume",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the output file holds every row finished so far; run the same command to resume",
            file=sys.stderr,
        )
        return 130
