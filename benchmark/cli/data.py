"""`bench data demo|check|export|prepare`: make the embedded demo datasets, validate dataset
folders, export splits as plain files for detectors outside the toolkit, prepare a training cache."""
from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table
from rich_argparse import RichHelpFormatter

from benchmark.tasks import LOCALIZATION_TASKS

from .console import say, table_console
from .dataset_args import SPLIT_HELP, add_dataset_args, dataset_spec


def add_parser(sub) -> None:
    data = sub.add_parser("data", help="make demo data, check datasets, export splits, prepare a training cache",
                          formatter_class=RichHelpFormatter)
    cmds = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    demo = cmds.add_parser("demo", formatter_class=RichHelpFormatter,
                           help="write a miniature dataset in a real on-disk layout, with real local edits")
    demo.add_argument("--format", default="diffseg",
                      help="dataset layout to write: diffseg, dolos, semitruths or cocoglide (default: diffseg)")
    demo.add_argument("--out", required=True, help="output folder (must be empty or absent)")
    demo.add_argument("--images", type=int, default=None, help="number of images (default: the format's)")
    demo.add_argument("--size", type=int, default=None, help="image side in pixels (default: the format's)")
    demo.add_argument("--seed", type=int, default=0, help="random seed; the same seed writes identical bytes")
    demo.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    demo.set_defaults(func=run_demo)

    check = cmds.add_parser("check", formatter_class=RichHelpFormatter,
                            help="load every sample, list every broken file, print a summary")
    add_dataset_args(check)
    check.add_argument("--split", action="append", help=f"split to check: {SPLIT_HELP} (repeatable; default: all found)")
    check.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    check.set_defaults(func=run_check)

    export = cmds.add_parser("export", formatter_class=RichHelpFormatter,
                             help="write a split as PNG images (optionally distorted) and its GT masks, "
                                  "for detectors outside the toolkit")
    add_dataset_args(export)
    export.add_argument("--split", required=True, help=f"split to export: {SPLIT_HELP}")
    export.add_argument("--distortion", default=None, help="e.g. jpeg60, resize256, jpeg60+resize256 (default: clean)")
    export.add_argument("--with-masks", action="store_true",
                        help="also write the GT as masks/{id}.png in the predictions' encoding (packable)")
    export.add_argument("--task", choices=LOCALIZATION_TASKS, default="semantic",
                        help="mask encoding of --with-masks: binary 0/255 or semantic class ids (default)")
    export.add_argument("--seed", type=int, default=0, help="seed of random distortions (noise)")
    export.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    export.add_argument("--out", required=True, help="output folder (must be empty or absent)")
    export.set_defaults(func=run_export)

    prepare = cmds.add_parser("prepare", formatter_class=RichHelpFormatter,
                              help="decode and resize a dataset once into a cache that training reads fast "
                                   "(bench train --cache DIR)")
    add_dataset_args(prepare)
    prepare.add_argument("--size", type=int, required=True, help="side in pixels: the training config's data.size")
    prepare.add_argument("--split", action="append", help=f"split to prepare: {SPLIT_HELP} (repeatable; default: all found)")
    prepare.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    prepare.add_argument("--out", required=True, help="output folder (must be empty or absent)")
    prepare.set_defaults(func=run_prepare)


def run_demo(args: argparse.Namespace) -> int:
    from benchmark.datasets.demo import write_demo

    summary = write_demo(args.format, args.out, images=args.images, size=args.size, seed=args.seed,
                         workers=args.workers)
    done, summary = summary.split(" ", 1)
    say(done, summary)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from benchmark.export import export_split

    manifest = export_split(dataset_spec(args), args.root, args.split, args.out, distortion=args.distortion,
                            with_masks=args.with_masks, task=args.task, seed=args.seed, workers=args.workers)
    say("exported", f"{manifest['n_images']} images of {manifest['dataset_spec']} {manifest['split']} "
                    f"({manifest['distortion']}) to {args.out}")
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    from benchmark.training.cache import prepare_cache

    manifest = prepare_cache(dataset_spec(args), args.root, args.size, args.out, args.split, workers=args.workers)
    splits = ", ".join(f"{name} {entry['n_images']}" for name, entry in manifest["splits"].items())
    say("prepared", f"{manifest['dataset_spec']} at {manifest['size']} px ({splits} images) in {args.out}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from benchmark.datacheck import check_dataset

    report = check_dataset(dataset_spec(args), args.root, args.split, progress=not args.json)
    result = report.to_json()
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(result)
    if result["errors"]:
        for line in result["errors"]:
            say("error:", line, "red", stderr=True)
        say(f"{len(result['errors'])} broken sample(s)", "", "bold red", stderr=True)
        return 1
    return 0


def print_report(result: dict) -> None:
    console = table_console()
    splits = Table(title=escape(f"{result['dataset_spec']} at {result['root']}"))
    for col in ("split", "images", "edited", "real"):
        splits.add_column(col, justify="right" if col != "split" else "left")
    for name, s in result["splits"].items():
        splits.add_row(name, str(s["images"]), str(s["edited"]), str(s["real"]))
    console.print(splits)

    gens = Table(title="pixel share per generator")
    gens.add_column("generator")
    gens.add_column("share of all pixels", justify="right")
    gens.add_row("(unedited)", f"{result['unedited_pixel_share']:.2%}")
    for name, share in result["generators"].items():
        gens.add_row(name, f"{share:.2%}")
    console.print(gens)

    area = result["mask_area"]
    if area["mean"] is not None:
        q = area["quantiles"]
        console.print(f"edited area per edited image: mean {area['mean']:.1%}, min {area['min']:.1%}, "
                      f"median {q['0.5']:.1%}, max {area['max']:.1%}")
    console.print("generators visible per edited image: " +
                  ", ".join(f"{k}: {v}" for k, v in result["turns"].items()))
    sizes = list(result["sizes"].items())
    more = f", +{len(sizes) - 6} more" if len(sizes) > 6 else ""
    console.print("image sizes: " + ", ".join(f"{k} ({v})" for k, v in sizes[:6]) + more)
    for w in result["warnings"]:
        say("warning:", w, "yellow")
    if not result["errors"]:
        console.print("[green]all samples load and validate[/]")
