"""`bench predict`: checkpoint -> predictions format."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def add_inference_args(p: argparse.ArgumentParser) -> None:
    """What `bench predict` and `bench eval` share: the checkpoint, the data, loader and device."""
    p.add_argument("--checkpoint", required=True, help="a .pth written by bench train, or its work dir (then its best checkpoint)")
    add_dataset_args(p)
    p.add_argument("--split", default="val", help=f"split to predict: {SPLIT_HELP} (default: val)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=None,
                   help="loader processes that decode, distort and resize images (default: half the cores, at most 8)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--explain", choices=("gradcam",), default=None,
                   help="an image-level classifier also writes its Grad-CAM maps (scored as localization)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parser(sub) -> None:
    pred = sub.add_parser("predict", formatter_class=RichHelpFormatter,
                          help="run a trained checkpoint over a split and write the predictions format")
    add_inference_args(pred)
    pred.add_argument("--distortion", default=None, help="one distortion or chain applied first, e.g. jpeg60+resize256")
    pred.add_argument("--out", required=True, help="predictions folder or .zip to write (never overwritten)")
    pred.set_defaults(func=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from benchmark.predict import predict_split

    out = predict_split(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, args.distortion,
                        batch_size=args.batch_size, workers=args.workers, device=args.device,
                        progress=not args.quiet, explain=args.explain)
    say("wrote", out)
    return 0
