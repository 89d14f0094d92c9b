"""`bench score`: predictions folder/zip + dataset split -> result JSON and a summary table."""
from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich_argparse import RichHelpFormatter

from .console import say, table_console
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def add_parser(sub) -> None:
    p = sub.add_parser("score", formatter_class=RichHelpFormatter,
                       help="score a predictions folder/zip against a dataset split")
    p.add_argument("predictions", help="predictions folder or .zip (manifest.json, masks/, scores.csv)")
    add_dataset_args(p)
    p.add_argument("--split", default=None, help=f"split to score against: {SPLIT_HELP} (default: the manifest's)")
    p.add_argument("--policy", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="scoring policy: preset=diffseg|davis|dolos|mmseg|imdlbenco, then rule changes such as "
                        "reduction=per_image empty_union=0 pixel_threshold=0.5")
    p.add_argument("--breakdown", nargs="+", action="extend", default=[], metavar="KEY",
                   help="extra meta fields to break results down by (turns and area bins always are)")
    p.add_argument("--distortion", default=None, help="distortion the predictions were made under "
                                                      "(default: the manifest's, else clean)")
    p.add_argument("--per-image", default=None, metavar="CSV", help="also write the per-image values")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = none)")
    p.add_argument("--out", required=True, help="result JSON to write (never overwritten)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from benchmark.metrics.policy import Policy
    from benchmark.options import key_values
    from benchmark.outputs import new_file
    from benchmark.results import write_result
    from benchmark.scoring import score_predictions

    for path in (args.out, args.per_image):
        if path:  # checked before scoring, so that no work is lost on a taken path
            new_file(path)
    policy = Policy.from_options(key_values(args.policy, "--policy"))
    result = score_predictions(args.predictions, dataset_spec(args), args.root, args.split, policy,
                               distortion=args.distortion, workers=args.workers, breakdown_keys=args.breakdown,
                               per_image_csv=args.per_image, progress=not args.quiet)
    write_result(result, args.out)
    for warning in result["warnings"]:
        say("warning:", warning, "yellow", stderr=True)
    if not args.quiet:
        print_summary(result, table_console())
        say("wrote", args.out)
    return 0


def print_summary(result: dict, console: Console) -> None:
    title = (f"{result['method']} on {result['dataset_spec']} {result['split']} ({result['task']}, "
             f"{result['distortion']}, {result['n_images']} images, policy {result['policy']['preset']})")
    table = Table("metric", "value", title=escape(title))
    per_class = []
    for name, value in result["metrics"].items():
        if isinstance(value, dict):
            if all(v is None or isinstance(v, (int, float)) for v in value.values()):
                per_class.append((name, value))
        else:
            table.add_row(name, "–" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    if per_class:
        # One row per class: there are far more classes than per-class metrics, and rows wrap nowhere.
        names = list(dict.fromkeys(k for _, d in per_class for k in d))
        classes = Table("class", *(metric for metric, _ in per_class), title="per class / generator")
        for n in names:
            classes.add_row(escape(n), *("" if values.get(n) is None else f"{values[n]:.4f}" for _, values in per_class))
        console.print(classes)
