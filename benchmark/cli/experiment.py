"""`bench experiment plan|run|table|report`: a packaged or user experiment file, resumable grids."""
from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table
from rich_argparse import RichHelpFormatter

from .console import say, table_console

ACTIONS = (("plan", "list the runs and whether each is done"), ("run", "run what is not done"),
           ("table", "render the tables from the finished runs' result files"),
           ("report", "write a markdown page: tables, plots and the provenance of every number"))


def add_parser(sub) -> None:
    from mmengine.config import DictAction

    exp = sub.add_parser("experiment", formatter_class=RichHelpFormatter,
                         help="reproduce a table: plan, run (resumably) and render a grid of trainings and evaluations")
    cmds = exp.add_subparsers(dest="experiment_command", metavar="ACTION", required=True)
    for name, help_text in ACTIONS:
        p = cmds.add_parser(name, formatter_class=RichHelpFormatter, help=help_text)
        p.add_argument("experiment", help="a packaged experiment (e.g. diffseg-table3) or an experiment file")
        p.add_argument("--scale", choices=("demo", "paper"), default="paper", help="run sizes (default: paper)")
        p.add_argument("--work-dir", default="work_dirs/experiments",
                       help="where trainings and runs live (default: work_dirs/experiments)")
        p.add_argument("--cfg-options", nargs="+", action=DictAction, default={}, metavar="KEY=VALUE",
                       help="set in every training whose config has KEY (e.g. model.clip_weights=PATH for the "
                            "univfd runs); part of those runs' definitions, so give the same to every action")
        if name == "run":
            p.add_argument("--root", action="append", required=True, metavar="[DATASET=]PATH",
                           help="the data: PATH for the experiment's dataset; DATASET=PATH for each other one "
                                "it scores on (e.g. --root cocoglide=/data/CocoGlide); repeatable")
            p.add_argument("--executor", choices=("local", "slurm", "submitit-local"), default="local",
                           help="local: one run after the other here; slurm: one submitit job per run")
            p.add_argument("--slurm", nargs="+", default=[], metavar="KEY=VALUE",
                           help="submitit parameters, e.g. slurm_partition=gpu timeout_min=600 gpus_per_node=1")
            p.add_argument("--no-progress", action="store_true")
        if name == "table":
            p.add_argument("--plot", metavar="PNG", help="also write the robustness plot (miou, else the first metric; a new file)")
        if name == "report":
            p.add_argument("--out", required=True, help="a new folder for index.md and its plots")
        p.set_defaults(func=run)


def parse_roots(given: list[str], dataset: str) -> dict[str, str]:
    """`--root PATH` (the experiment's dataset) and `--root NAME=PATH` (any registered dataset)."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.errors import BenchError
    from benchmark.registry import DATASETS, names

    roots, known = {}, set(names(DATASETS))
    for item in given:
        name, sep, path = item.partition("=")
        if not (sep and name in known):
            name, path = DatasetSpec.of(dataset).name, item
        if name in roots:
            raise BenchError(f"--root: two roots for {name} ({roots[name]}, {path})")
        roots[name] = path
    return roots


def run(args: argparse.Namespace) -> int:
    from benchmark.experiment import load_experiment, plan, report, run_grid, scored_on, table, table_metrics
    from benchmark.tables import render

    exp = load_experiment(args.experiment)
    runs = plan(exp, args.scale, args.work_dir, args.cfg_options)
    if args.experiment_command == "plan":
        t = Table("run", "state", "scored on", "training", "evaluation", title=escape(f"{exp.name} at {args.scale} scale"))
        for r in runs:
            t.add_row(escape(r.label), r.state(), escape(scored_on(r)), escape(str(r.train_folder)), escape(str(r.folder)))
        table_console().print(t)
        return 0
    if args.experiment_command == "report":
        say("wrote", report(exp, runs, args.scale, args.out))
        return 0
    if args.experiment_command == "run":
        from benchmark.options import key_values

        slurm = {k: int(v) if v.isdigit() else v for k, v in key_values(args.slurm, "--slurm").items()}
        states = run_grid(runs, parse_roots(args.root, exp.dataset), args.executor, not args.no_progress, slurm)
        for r in runs:
            say(states[r.label], r.label, "green" if states[r.label] == "done" else "red")
        if any(s != "done" for s in states.values()):
            say("error:", "some runs failed (their failed.txt says why); they are not in the table", "red", stderr=True)
            return 1
    for metric in table_metrics(exp):
        table_console().print(render(table(exp, runs, metric), "rich"))
    if getattr(args, "plot", None):
        from benchmark.experiment import plotted_metric, robustness_plot

        say("wrote", robustness_plot(runs, plotted_metric(exp), args.plot))
    return 0
