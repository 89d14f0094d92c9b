"""`bench eval`: predict + score a checkpoint over a distortion sweep, with a table and a
robustness plot (`benchmark.sweep`)."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say, table_console
from .dataset_args import dataset_spec
from .predict import add_inference_args


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", formatter_class=RichHelpFormatter,
                        help="predict + score a checkpoint, clean and under distortions; table and robustness plot")
    add_inference_args(ev)
    ev.add_argument("--distortion", default="clean",
                    help="comma-separated sweep, each a distortion or '+' chain: clean,jpeg80,jpeg60,resize256")
    ev.add_argument("--policy", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                    help="scoring policy: a preset and rule changes (as bench score)")
    ev.add_argument("--breakdown", nargs="+", action="extend", default=[], metavar="KEY",
                    help="meta fields to break results down by, e.g. diffusion_model mask_name sem_magnitude")
    ev.add_argument("--audit-format", action="store_true",
                    help="also report how well the file encoding alone separates real from edited images")
    ev.add_argument("--out", required=True, help="output folder (new): predictions/, results/, robustness_miou.png")
    ev.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from benchmark.metrics.policy import Policy
    from benchmark.options import key_values
    from benchmark.sweep import parse_sweep, sweep

    report = sweep(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, parse_sweep(args.distortion),
                   Policy.from_options(key_values(args.policy, "--policy")), batch_size=args.batch_size,
                   workers=args.workers, device=args.device, progress=not args.quiet, explain=args.explain,
                   breakdown_keys=args.breakdown, audit_format=args.audit_format)
    table_console().print(report["table"])
    for path in report["results"]:
        say("wrote", path)
    if report["plot"]:
        say("wrote", report["plot"])
    return 0
