"""`bench explain`: overlay PNGs of where a model looks."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def add_parser(sub) -> None:
    ex = sub.add_parser("explain", formatter_class=RichHelpFormatter,
                        help="overlay PNGs of where a model looks: image, map (Grad-CAM for classifiers), GT outline")
    ex.add_argument("--checkpoint", required=True, help="a .pth written by bench train, or its work dir")
    add_dataset_args(ex)
    ex.add_argument("--split", default="val", help=f"split: {SPLIT_HELP} (default: val)")
    ex.add_argument("--ids", nargs="+", default=[], metavar="ID", help="images to explain (default: the first edited ones)")
    ex.add_argument("--first", type=int, default=8, help="how many edited images without --ids (default: 8)")
    ex.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    ex.add_argument("--out", required=True, help="output folder (new): {id}.png overlays and explain.json")
    ex.set_defaults(func=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from benchmark.explain import explain_images

    written = explain_images(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, args.ids,
                             args.first, device=args.device)
    say("wrote", f"{len(written)} overlays in {args.out}")
    return 0
