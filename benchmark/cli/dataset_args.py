"""The dataset arguments every command shares: one dataset spec (`--dataset NAME` or
`NAME[key=value;...]`, plus `--set KEY=VALUE` options) and the data's `--root`."""
from __future__ import annotations

import argparse

SPLIT_HELP = "train, val or test (valid and validation mean val)"


def add_dataset_args(p: argparse.ArgumentParser, required: bool = True, root_required: bool = True) -> None:
    p.add_argument("--dataset", required=required,
                   help="dataset spec: an adapter name (diffseg, dolos, semitruths, cocoglide), optionally "
                        "with options, e.g. 'dolos[setup=C]'")
    p.add_argument("--root", required=root_required, help="dataset folder, archive or shard")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="dataset_options",
                   help="dataset option, e.g. setup=A (dolos), preset=thesis-celebahq or sources=CelebAHQ,ADE20K "
                        "(semitruths), generators=A,B,... (any); repeatable")


def dataset_spec(args: argparse.Namespace):
    """The DatasetSpec the arguments name (None when no --dataset was given)."""
    from benchmark.datasets.spec import DatasetSpec

    if args.dataset is None:
        if args.dataset_options:
            from benchmark.errors import BenchError

            raise BenchError("--set needs --dataset")
        return None
    return DatasetSpec.of(args.dataset, args.dataset_options)
