"""`bench predict` (checkpoint -> predictions format) and `bench eval` (predict + score over a
distortion sweep, with a table and a robustness plot)."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say, table_console
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="a .pth written by bench train, or its work dir (then its best checkpoint)")
    add_dataset_args(p)
    p.add_argument("--split", default="val", help=f"split to predict: {SPLIT_HELP} (default: val)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=0, help="data loader processes (default: 0)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--explain", choices=("gradcam",), default=None,
                   help="an image-level classifier also writes its Grad-CAM maps (scored as localization)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parser(sub) -> None:
    pred = sub.add_parser("predict", formatter_class=RichHelpFormatter,
                          help="run a trained checkpoint over a split and write the predictions format")
    _common(pred)
    pred.add_argument("--distortion", default=None, help="one distortion or chain applied first, e.g. jpeg60+resize256")
    pred.add_argument("--out", required=True, help="predictions folder or .zip to write (never overwritten)")
    pred.set_defaults(func=run_predict)

    ev = sub.add_parser("eval", formatter_class=RichHelpFormatter,
                        help="predict + score a checkpoint, clean and under distortions; table and robustness plot")
    _common(ev)
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


def run_predict(args: argparse.Namespace) -> int:
    from benchmark.predict import predict_split

    out = predict_split(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, args.distortion,
                        batch_size=args.batch_size, workers=args.workers, device=args.device,
                        progress=not args.quiet, explain=args.explain)
    say("wrote", out)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from benchmark.options import key_values
    from benchmark.evaluate import evaluate, parse_sweep
    from benchmark.metrics.policy import Policy

    report = evaluate(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, parse_sweep(args.distortion),
                      Policy.from_options(key_values(args.policy, "--policy")), batch_size=args.batch_size,
                      workers=args.workers, device=args.device, progress=not args.quiet, explain=args.explain,
                      breakdown_keys=args.breakdown, audit_format=args.audit_format)
    table_console().print(report["table"])
    for path in report["results"]:
        say("wrote", path)
    if report["plot"]:
        say("wrote", report["plot"])
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from benchmark.explain import explain_images

    written = explain_images(args.checkpoint, dataset_spec(args), args.root, args.split, args.out, args.ids,
                             args.first, device=args.device)
    say("wrote", f"{len(written)} overlays in {args.out}")
    return 0
