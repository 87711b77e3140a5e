"""Command line: ``python -m ancer_core {optimize,certify,analyze,models,train,quantize} …``, one module per
command. Run ``python -m ancer_core COMMAND --help`` for each command's options."""

from __future__ import annotations

import argparse
import os
import sys

from ..core.validation import AncerInputError
from . import analyze, certify, models, optimize, quantize, train

EPILOG = """examples:
  python -m ancer_core models
  python -m ancer_core certify --norm l2 --method fixed --sigma 0.25 --indices 0:500:20 --out runs/fixed.tsv --preset quick
  python -m ancer_core optimize --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --out runs/ancer_thetas --preset quick
  python -m ancer_core certify --norm l2 --method ancer --sigma 0.25 --indices 0:500:20 --thetas runs/ancer_thetas --out runs/ancer.tsv --preset quick
  python -m ancer_core analyze runs/fixed.tsv runs/ancer.tsv --radii 0 0.25 0.5 0.75 1.0

σ (--sigma) is the noise's standard deviation for both noises; uniform noise (l1) has half-width
λ = √3·σ (Yang et al. 2020). --uniform-convention ancer-original uses the original code's λ = σ/√3."""  # noqa: E501


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ancer_core",
        description="ANCER: anisotropic certification via "
        "sample-wise volume maximization (Eiras, Alfarra et al., TMLR 2022).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    for command in (optimize, certify, analyze, models, train, quantize):
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except AncerInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the output file holds every row finished so far; run the same command to resume",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # `… | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as Python's docs advise: no flush error
        return 0
