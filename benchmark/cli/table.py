"""`bench table`: paper-style tables from result JSON files only."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say, table_console

from benchmark.errors import BenchError
from benchmark.outputs import new_file


def add_parser(sub) -> None:
    p = sub.add_parser("table", formatter_class=RichHelpFormatter,
                       help="lay result files out as a table (model x metric, distortion x metric, train x test ...)")
    p.add_argument("results", nargs="+", help="result JSON files written by bench score")
    p.add_argument("--rows", required=True, help="key down the side: metric, method, distortion, dataset, split, "
                                                 "train_generators, class, a breakdown key, any policy field")
    p.add_argument("--cols", required=True, help="key across the top (same choices as --rows)")
    p.add_argument("--metrics", nargs="+", help="metrics to show (one when neither key is 'metric')")
    p.add_argument("--format", default="rich", choices=("rich", "markdown", "latex", "csv"))
    p.add_argument("--scale", type=float, default=1.0, help="multiply values, e.g. 100 for percent (DOLOS tables)")
    p.add_argument("--digits", type=int, default=3, help="decimals shown (default 3)")
    p.add_argument("--out", help="write the table text to this file instead of the terminal")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from benchmark.results import read_result
    from benchmark.tables import build_grid, render

    results = [read_result(p) for p in args.results]
    grid = build_grid(results, args.rows, args.cols, args.metrics, paths=args.results)
    for warning in grid.warnings:
        say("warning:", warning, "yellow", stderr=True)
    if args.out:
        if args.format == "rich":
            raise BenchError("--out writes text: choose --format markdown, latex or csv")
        new_file(args.out).write_text(render(grid, args.format, args.digits, args.scale) + "\n")
        return 0
    out = render(grid, args.format, args.digits, args.scale)
    if args.format == "rich":
        table_console().print(out)
    else:
        print(out)
    return 0
