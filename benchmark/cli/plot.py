"""`bench plot robustness|confusion|area`: figures (PNG) from result files and per-image CSVs."""
from __future__ import annotations

import argparse

from rich.table import Table
from rich_argparse import RichHelpFormatter

from .console import say, table_console


def add_parser(sub) -> None:
    p = sub.add_parser("plot", formatter_class=RichHelpFormatter, help="robustness curves, confusion matrix, IoU vs area")
    kinds = p.add_subparsers(dest="plot_kind", metavar="KIND", required=True)

    rob = kinds.add_parser("robustness", formatter_class=RichHelpFormatter,
                           help="metric vs distortion severity, one curve per method (clean and distorted results)")
    rob.add_argument("results", nargs="+", help="result JSON files of one sweep (clean + jpeg90, jpeg60, ...)")
    rob.add_argument("--metric", default="miou")
    rob.add_argument("--by", default="method", help="key that names the curves (default: method)")
    rob.add_argument("--out", required=True, help="PNG to write")
    rob.set_defaults(func=run_robustness)

    conf = kinds.add_parser("confusion", formatter_class=RichHelpFormatter,
                            help="generator confusion matrix over GT-edited pixels")
    conf.add_argument("result", help="result JSON file")
    conf.add_argument("--out", required=True, help="PNG to write")
    conf.set_defaults(func=run_confusion)

    area = kinds.add_parser("area", formatter_class=RichHelpFormatter,
                            help="per-image metric vs edited area (per-image CSV), or per area bin (result JSON)")
    area.add_argument("source", help="per-image CSV from bench score --per-image, or a result JSON")
    area.add_argument("--metric", default="iou")
    area.add_argument("--out", required=True, help="PNG to write")
    area.set_defaults(func=run_area)


def run_robustness(args: argparse.Namespace) -> int:
    from benchmark.plots import plot_robustness
    from benchmark.results import read_result

    results = [read_result(p) for p in args.results]
    out, summary = plot_robustness(results, args.metric, args.out, by=args.by, paths=args.results)
    table = Table(args.by, "distortion", "clean", "worst", "relative drop", "area under curve",
                  title=f"{args.metric} robustness")
    for row in summary:
        table.add_row(row["group"], row["family"], _num(row["clean"]), _num(row["worst"]),
                      "–" if row["relative_drop"] is None else f"{row['relative_drop']:.1%}", _num(row["area"]))
    table_console().print(table)
    say("wrote", out)
    return 0


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def run_confusion(args: argparse.Namespace) -> int:
    from benchmark.plots import plot_confusion
    from benchmark.results import read_result

    out = plot_confusion(read_result(args.result), args.out, where=args.result)
    say("wrote", out)
    return 0


def run_area(args: argparse.Namespace) -> int:
    from benchmark.plots import plot_area, plot_area_bins
    from benchmark.results import read_result

    if args.source.endswith(".csv"):
        import pandas as pd

        from benchmark.errors import DataError

        try:
            frame = pd.read_csv(args.source)
        except (OSError, ValueError) as exc:
            raise DataError(args.source, f"not a readable CSV ({exc})") from None
        out = plot_area(frame, args.metric, args.out, where=args.source)
    else:
        out = plot_area_bins(read_result(args.source), args.metric, args.out, where=args.source)
    say("wrote", out)
    return 0
