"""Experiments: a grid of trainings and their evaluations declared in one mmengine-style file,
run resumably, and its table rendered from the result files beside the paper's numbers.

Each run's folder is named by a hash of what defines it (the training's config and overrides at
the chosen scale, dataset spec, editor selection, evaluation, toolkit version): a finished run is
skipped, an interrupted one resumes from its last checkpoint, and a changed definition gets a new
folder. A run that failed is reported and never counted in a table.

    {work}/runs/{name}-{key}/run.json      its definition
                             train/        bench train's work dir
                             eval/         bench eval's output (results/{distortion}.json)
                             failed.txt    the error of a failed attempt
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from mmengine.config import Config

from benchmark import __version__
from benchmark.errors import BenchError

EXPERIMENT_DIR = Path(__file__).resolve().parent / "configs" / "experiments"
SCALES = ("demo", "paper")
DROP = "relative drop"  # 1 - worst distorted / clean, per row


@dataclass(frozen=True)
class Run:
    name: str
    definition: dict
    folder: Path

    @property
    def key(self) -> str:
        return self.folder.name.rsplit("-", 1)[-1]

    def state(self) -> str:
        """done | failed | partial (a checkpoint to resume from) | todo"""
        results = self.folder / "eval" / "results"
        wanted = {f"{d}.json" for d in self.definition["evaluation"]["distortions"]}
        if results.is_dir() and wanted <= {p.name for p in results.iterdir()}:
            return "done"
        if (self.folder / "failed.txt").is_file():
            return "failed"
        if (self.folder / "train" / "last_checkpoint").is_file():
            return "partial"
        return "todo"

    def results(self) -> list[Path]:
        return [self.folder / "eval" / "results" / f"{d}.json" for d in self.definition["evaluation"]["distortions"]]


def packaged_experiments() -> list[str]:
    return sorted(p.stem.replace("_", "-") for p in EXPERIMENT_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_experiment(name_or_path: str) -> Config:
    path = Path(name_or_path)
    if not path.is_file():
        path = EXPERIMENT_DIR / f"{name_or_path.replace('-', '_').removesuffix('.py')}.py"
    if not path.is_file():
        raise BenchError(f"{name_or_path}: no such experiment file or packaged experiment "
                         f"(packaged: {', '.join(packaged_experiments())})")
    try:
        return Config.fromfile(str(path))
    except Exception as exc:
        raise BenchError(f"{path}: cannot read the experiment ({type(exc).__name__}: {exc})") from None


def work_folder(work_dir: str | os.PathLike, exp: Config, scale: str) -> Path:
    """Where `bench experiment` keeps the runs of `exp` at `scale` under `--work-dir`."""
    return Path(work_dir) / f"{exp.name}-{scale}"


def plan(exp: Config, scale: str, work: str | os.PathLike) -> list[Run]:
    """The runs of `exp` at `scale`, each with its content-addressed folder under `work`."""
    if scale not in SCALES:
        raise BenchError(f"scale '{scale}' (known: {', '.join(SCALES)})")
    overrides = dict(exp.get("scales", {}).get(scale, {}))
    runs = []
    for training in exp.trainings:
        common, own = dict(overrides.get("all", {})), dict(overrides.get(training["name"], {}))
        options = {**common.pop("cfg_options", {}), **own.pop("cfg_options", {})}
        definition = {"experiment": exp.name, "training": dict(training), "scale": scale,
                      "overrides": {**common, **own, "cfg_options": options},
                      "dataset": exp.dataset, "evaluation": dict(exp.evaluation), "bench": __version__}
        key = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()[:12]
        runs.append(Run(training["name"], definition, Path(work) / "runs" / f"{training['name']}-{key}"))
    return runs


def run_one(run: Run, root: str, progress: bool = False) -> str:
    """Train (or resume) and evaluate one run; returns its final state. Errors are kept in
    `failed.txt` (and re-raised as one line), so the run is reported and never tabled."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.evaluate import evaluate
    from benchmark.metrics.policy import Policy
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    if run.state() == "done":
        return "done"
    run.folder.mkdir(parents=True, exist_ok=True)
    (run.folder / "failed.txt").unlink(missing_ok=True)
    (run.folder / "run.json").write_text(json.dumps(run.definition, indent=1, default=str) + "\n")
    t, o, ev = run.definition["training"], run.definition["overrides"], run.definition["evaluation"]
    try:
        spec = DatasetSpec.of(run.definition["dataset"])
        train_dir = run.folder / "train"
        if not (train_dir / "done").is_file():
            cfg = load_config(o.get("config", t.get("config")), t.get("baseline"), dict(o.get("cfg_options", {})),
                              max_iters=o.get("max_iters"), batch_size=o.get("batch_size"), size=o.get("size"))
            train(cfg, spec, root, t.get("task", "binary"), str(train_dir),
                  resume=(train_dir / "last_checkpoint").is_file(),
                  holdout_generators=o.get("holdout_generators", t.get("holdout_generators")),
                  progress=progress, experiment_run=run.name)
            (train_dir / "done").write_text("")
        partial = run.folder / "eval.partial"
        shutil.rmtree(partial, ignore_errors=True)  # the toolkit's own half-written output
        evaluate(train_dir, spec, root, ev.get("split", "val"), partial, list(ev["distortions"]),
                 Policy.from_options({k: str(v) for k, v in ev.get("policy", {}).items()}),
                 batch_size=ev.get("batch_size", 8), progress=progress, breakdown_keys=ev.get("breakdown", ()),
                 explain=ev.get("explain"), audit_format=bool(ev.get("audit_format")))
        partial.rename(run.folder / "eval")
    except Exception as exc:
        (run.folder / "failed.txt").write_text("".join(traceback.format_exception(exc)))
        raise BenchError(f"run {run.name} ({run.folder}) failed: {exc}") from None
    return run.state()


def run_grid(runs: Sequence[Run], root: str, executor: str = "local", progress: bool = True,
             slurm: dict[str, Any] | None = None) -> dict[str, str]:
    """Run every run not done yet: one after the other in this process (`local`), or as jobs of
    submitit (`slurm`, or `submitit-local` to try the same path on this machine). Returns each
    run's final state; a failure does not stop the others."""
    todo = [r for r in runs if r.state() != "done"]
    states = {r.name: "done" for r in runs if r not in todo}
    if executor == "local":
        for r in todo:
            try:
                states[r.name] = run_one(r, root, progress)
            except BenchError:
                states[r.name] = "failed"
        return states
    import submitit

    if not todo:
        return states
    folder = todo[0].folder.parent.parent / "submitit"
    cluster = "local" if executor == "submitit-local" else "slurm" if executor == "slurm" else None
    if cluster is None:
        raise BenchError(f"executor '{executor}' (known: local, slurm, submitit-local)")
    ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
    ex.update_parameters(**(slurm or {}))
    jobs = [(r, ex.submit(run_one, r, root, False)) for r in todo]
    for r, job in jobs:
        try:
            states[r.name] = job.result()
        except Exception:  # the job's own failed.txt says why
            states[r.name] = "failed"
    return states


def table(exp: Config, runs: Sequence[Run], metric: str | None = None):
    """The experiment's table from the result files of finished runs only, with the paper's
    numbers as rows marked 'reported by the paper': runs x distortions for one `metric`
    (`table.cols = "distortion"`), or runs x metrics on the first distortion (`"metric"`)."""
    from benchmark.results import read_result
    from benchmark.tables import Grid

    by_distortion = exp.table.cols == "distortion"
    cols = list(exp.evaluation["distortions"]) if by_distortion else list(exp.table.metrics)
    title = f"distortion ({metric})" if by_distortion else f"metric ({exp.evaluation['distortions'][0]})"
    grid = Grid(rows=[], cols=cols, cells={}, row_key="run", col_key=title)
    for run in runs:
        if run.state() != "done":
            continue
        grid.rows.append(run.name)
        for path in run.results() if by_distortion else run.results()[:1]:
            result = read_result(path)
            for col in cols:
                if by_distortion and result["distortion"] == col:
                    grid.cells[(run.name, col)] = result["metrics"].get(metric)
                elif not by_distortion:
                    grid.cells[(run.name, col)] = result["metrics"].get(col)
    for ref in exp.get("reference", []):
        values = ref["values"].get(metric, {}) if by_distortion else {m: ref["values"].get(m) for m in cols}
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            label = f"{ref['row']} (reported by the paper)"
            grid.rows.append(label)
            grid.cells.update({(label, col): value for col, value in values.items()})
    if by_distortion and "clean" in cols and len(cols) > 1:
        distorted = [c for c in cols if c != "clean"]
        grid.cols = [*cols, DROP]
        for row in grid.rows:
            clean = grid.cells.get((row, "clean"))
            rest = [grid.cells.get((row, c)) for c in distorted]
            if clean and all(v is not None for v in rest):
                grid.cells[(row, DROP)] = 1 - min(rest) / clean
    return grid


def robustness_plot(runs: Sequence[Run], metric: str, out: str | os.PathLike) -> Path:
    """The metric against each distortion's strength, one curve per finished run."""
    from benchmark.plots import plot_robustness
    from benchmark.results import read_result

    paths = [p for r in runs if r.state() == "done" for p in r.results()]
    if not paths:
        raise BenchError("no finished run to plot")
    plot, _ = plot_robustness([read_result(p) for p in paths], metric, out, by="experiment_run",
                              paths=[str(p) for p in paths])
    return plot
