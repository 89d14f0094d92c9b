"""`bench pack`: mask PNGs (or a COCO RLE JSON) from any detector -> a valid submission."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from benchmark.tasks import TASKS

from .console import say
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def add_parser(sub) -> None:
    p = sub.add_parser("pack", formatter_class=RichHelpFormatter,
                       help="build a predictions folder/zip (manifest, hashes) from plain mask PNGs")
    p.add_argument("--masks", required=True, help="folder of {image_id}.png masks, or a COCO RLE JSON (binary)")
    p.add_argument("--out", required=True, help="submission to write: a new folder, or a path ending in .zip")
    p.add_argument("--task", choices=TASKS,
                   help="binary: PNG = round(255 * P(edited)); semantic: PNG = class id "
                        "(default: from export.json beside the masks)")
    add_dataset_args(p, required=False, root_required=False)
    p.add_argument("--split", help=f"split name: {SPLIT_HELP} (default: from export.json)")
    p.add_argument("--scores", help="CSV image_id,score[,<generator> ...] of image-level probabilities")
    p.add_argument("--method", default="external", help="method name recorded in results (default: external)")
    p.add_argument("--generators", help="generator names in class-id order, comma-separated "
                                        "(default: the dataset's with --root, else from export.json)")
    p.add_argument("--train-generators", help="comma-separated generators the method was trained on")
    p.add_argument("--scale01", action="store_true", help="binary masks hold 0/1: store them as 0/255")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from benchmark.predictions import pack_predictions

    extra = {"train_generators": args.train_generators.split(",")} if args.train_generators else {}
    out = pack_predictions(args.masks, args.out, task=args.task, dataset=dataset_spec(args), split=args.split,
                           scores_csv=args.scores, method=args.method,
                           generators=args.generators.split(",") if args.generators else None,
                           root=args.root, extra_manifest=extra, scale01=args.scale01)
    say("packed", out)
    return 0
