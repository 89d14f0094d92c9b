"""`bench` command line: one sub-command module per group, heavy imports only when run."""
from __future__ import annotations

import argparse
import sys

from rich_argparse import RichHelpFormatter

from benchmark import __version__
from benchmark.errors import BenchError

from . import data, experiment, explain, leaderboard, pack, plot, predict, score, submit, sweep, table, train
from .console import say

GROUPS = [data, train, predict, sweep, explain, pack, score, table, plot, experiment, leaderboard, submit]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench", formatter_class=RichHelpFormatter,
        description="Benchmark toolkit for localized AI-edit forensics.")
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BenchError as exc:
        say("error:", exc, "bold red", stderr=True)
        return 2
    except OSError as exc:  # a disk that fills up or a path that vanishes mid-write: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        say("error:", f"{where}{exc.strerror or exc}", "bold red", stderr=True)
        return 2
    except KeyboardInterrupt:
        say("interrupted", "", "red", stderr=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
