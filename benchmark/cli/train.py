"""`bench train`: train a baseline on a dataset with mmengine (single process, or DDP under torchrun)."""
from __future__ import annotations

import argparse
import os

from rich_argparse import RichHelpFormatter

from benchmark.tasks import LOCALIZATION_TASKS

from .console import table_console
from .dataset_args import add_dataset_args, dataset_spec


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_parser(sub) -> None:
    from mmengine.config import DictAction

    p = sub.add_parser("train", formatter_class=RichHelpFormatter,
                       help="train a baseline (DDP when launched with torchrun)",
                       description="Train a baseline. Under `torchrun --nproc_per_node N -m benchmark.cli.main "
                                   "train ...` the same command trains with DDP.")
    p.add_argument("--baseline", help="baseline name (deeplabv3plus, fcn8s); its paper config is the default")
    add_dataset_args(p, required=False)
    p.add_argument("--task", choices=LOCALIZATION_TASKS, default="binary",
                   help="binary: edited vs not; semantic: one class per generator (default: binary)")
    p.add_argument("--config", help="config file, or the name of a packaged config (e.g. deeplabv3plus_r10t_demo_cpu)")
    p.add_argument("--work-dir", help="output folder for checkpoints and logs (default: work_dirs/<model>_<dataset>_<task>)")
    p.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
                   help="override config entries, e.g. model.encoder=resnet18 optim_wrapper.optimizer.lr=0.001")
    p.add_argument("--max-iters", type=int, help="training iterations (the poly schedule follows)")
    p.add_argument("--batch-size", type=int, help="images per step and process")
    p.add_argument("--size", type=int, help="training/validation image side in pixels")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast (CUDA only)")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory layout (faster with --amp on GPUs)")
    p.add_argument("--compile", action="store_true", help="torch.compile the training step (the first iterations are slow)")
    p.add_argument("--cache", metavar="DIR", help="read images from a prepared cache (bench data prepare; sets data.cache)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--resume", action="store_true", help="continue from the work dir's last checkpoint")
    p.add_argument("--seed", type=int, help="random seed (default: the config's)")
    p.add_argument("--train-generators", type=_names, metavar="A,B,...",
                   help="editors seen in training; images containing any other editor are dropped")
    p.add_argument("--holdout-generators", type=_names, metavar="A,B,...",
                   help="editors held out of training (DiffSeg30k leave-two-out protocol)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA
    import torch
    from rich.markup import escape
    from rich.table import Table

    from benchmark.errors import BenchError
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    if args.device == "cuda" and not torch.cuda.is_available():
        raise BenchError("--device cuda: no CUDA device is available")
    cfg = load_config(args.config, args.baseline, args.cfg_options, max_iters=args.max_iters,
                      batch_size=args.batch_size, size=args.size, seed=args.seed, amp=args.amp,
                      channels_last=args.channels_last, compile=args.compile, cache=args.cache)
    spec = dataset_spec(args) or cfg.data.get("dataset")
    if spec is None:
        raise BenchError("give --dataset (or set data.dataset in the config, e.g. data.dataset='dolos[setup=C]')")
    summary = train(cfg, spec, args.root, args.task, args.work_dir, args.resume,
                    args.train_generators, args.holdout_generators, progress=not args.no_progress)
    from mmengine.dist import is_main_process
    if is_main_process():
        table = Table(title="training finished")
        table.add_column("")
        table.add_column("")
        for key, value in summary.items():
            table.add_row(key, escape(", ".join(value) if isinstance(value, list) else str(value)))
        table_console().print(table)
    return 0
