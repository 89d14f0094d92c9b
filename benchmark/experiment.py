"""Experiments: a grid of trainings and their evaluations declared in one mmengine-style file,
run resumably, and its table rendered from the result files beside the paper's numbers.

A training's folder is named by a hash of what defines it (config and overrides at the chosen
scale, dataset spec, editor selection, toolkit version), so experiments that declare the same
training share it (Table 2 is Table 3's clean column); an evaluation's folder adds what is
scored (dataset, split, distortions, policy). A finished run is skipped, an interrupted training
resumes from its last checkpoint, a changed definition gets a new folder, and a run that failed
is reported and never counted in a table.

    {work_dir}/trainings/{config}-{task}-{key}/ bench train's work dir (+ `done` when finished)
    {work_dir}/{experiment}-{scale}/runs/{name}-{key}/
                             run.json           its definition
                             eval/              bench eval's output (results/{distortion}.json)
                             failed.txt         the error of a failed attempt
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from mmengine.config import Config

from benchmark import __version__
from benchmark.errors import BenchError
from benchmark.hashing import sha256_file, sha256_json

EXPERIMENT_DIR = Path(__file__).resolve().parent / "configs" / "experiments"
SCALES = ("demo", "paper")
DROP = "relative drop"  # per row, over its distortions: metrics.robustness.relative_drop
HELD_OUT = "held-out"  # evaluation.editors: score on the run's held-out editors only
# Config entries a scale may also set by a shortcut (`max_iters=...`), which load_config applies last.
NAMED_OPTIONS = {"train_cfg.max_iters": "max_iters", "data.batch_size": "batch_size", "data.size": "size"}


@dataclass(frozen=True)
class Run:
    """One training scored under one evaluation: `definition` is the whole of what it is (its hash
    names `folder`); `train_folder` may be shared with other runs and experiments."""

    name: str  # the training's
    definition: dict
    folder: Path
    train_folder: Path
    evaluation: str | None = None  # its name, when the experiment declares several

    @property
    def label(self) -> str:
        return self.name if self.evaluation is None else f"{self.name}@{self.evaluation}"

    @property
    def trained(self) -> bool:
        return (self.train_folder / "done").is_file()

    def state(self) -> str:
        """done | failed | partial (a checkpoint to resume from) | trained (to evaluate) | todo"""
        results = self.folder / "eval" / "results"
        wanted = {f"{d}.json" for d in self.definition["evaluation"]["distortions"]}
        if results.is_dir() and wanted <= {p.name for p in results.iterdir()}:
            return "done"
        if (self.folder / "failed.txt").is_file():
            return "failed"
        if self.trained:
            return "trained"
        if (self.train_folder / "last_checkpoint").is_file():
            return "partial"
        return "todo"

    def results(self) -> list[Path]:
        return [self.folder / "eval" / "results" / f"{d}.json" for d in self.definition["evaluation"]["distortions"]]

    @property
    def datasets(self) -> list[str]:
        """The dataset names this run reads: the training's, then the evaluation's."""
        from benchmark.datasets.spec import DatasetSpec

        names = [DatasetSpec.of(self.definition["training"]["dataset"]).name,
                 DatasetSpec.of(self.definition["evaluation"]["dataset"]).name]
        return list(dict.fromkeys(names))


def packaged_experiments() -> list[str]:
    return sorted(p.stem.replace("_", "-") for p in EXPERIMENT_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_experiment(name_or_path: str) -> Config:
    """An experiment file, or a packaged experiment by name (`diffseg-table3`), as an mmengine Config."""
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


def _key(definition: Mapping) -> str:
    return sha256_json(definition)[:12]


def _applying(cfg_options: Mapping[str, Any], config: str | None, baseline: str | None) -> dict:
    """The command-line `cfg_options` a training's config has (e.g. model.clip_weights only for
    univfd), checked as `bench train --cfg-options` checks them."""
    from benchmark.training.config import check_options, load_config

    cfg = load_config(config, baseline)
    out = {}
    for key, value in cfg_options.items():
        with contextlib.suppress(BenchError):
            check_options(cfg, {key: value})
            out[key] = value
    return out


def plan(exp: Config, scale: str, work_dir: str | os.PathLike, cfg_options: Mapping[str, Any] | None = None) -> list[Run]:
    """The runs of `exp` at `scale` under `work_dir`: each training with each evaluation (one
    `evaluation` dict, or a list of named ones). `cfg_options` (the command line's) go to every
    training whose config has the key, and into its definition."""
    if scale not in SCALES:
        raise BenchError(f"scale '{scale}' (known: {', '.join(SCALES)})")
    names = [t["name"] for t in exp.trainings]
    if len(set(names)) != len(names):
        raise BenchError(f"{exp.name}: training names repeat ({', '.join(names)})")
    evaluations = evaluations_of(exp)
    overrides = dict(exp.get("scales", {}).get(scale, {}))
    given, used = dict(cfg_options or {}), set()
    runs = []
    for training in exp.trainings:
        common, own = dict(overrides.get("all", {})), dict(overrides.get(training["name"], {}))
        o = {**common, **own, "cfg_options": {**common.pop("cfg_options", {}), **own.pop("cfg_options", {})}}
        extra = _applying(given, o.get("config", training.get("config")), training.get("baseline")) if given else {}
        used |= set(extra)
        o["cfg_options"].update(extra)
        for key, named in NAMED_OPTIONS.items():  # the command line wins over the scale's shortcut
            if key in extra:
                o.pop(named, None)
        spec = {k: v for k, v in training.items() if k not in ("name", "dataset")}
        train_def = {"training": spec, "overrides": o, "dataset": training.get("dataset", exp.dataset),
                     "bench": __version__}
        holdout = o.get("holdout_generators", training.get("holdout_generators")) or []
        train_key = _key(train_def)
        for name, evaluation in evaluations:
            ev = {"dataset": exp.dataset, **{k: v for k, v in evaluation.items() if k != "name"}}
            if ev.get("editors") == HELD_OUT:  # the run's own held-out editors; none held out: all of them
                ev["editors"] = list(holdout)
            definition = {"experiment": exp.name, "name": training["name"], "scale": scale,
                          "training": {**train_def, "key": train_key}, "evaluation": ev}
            run = Run(training["name"], definition, Path(), Path(work_dir) / "trainings" /
                      f"{_training_label(training, o)}-{train_key}", name)
            runs.append(dataclasses.replace(run, folder=Path(work_dir) / f"{exp.name}-{scale}" / "runs" /
                                            f"{run.label}-{_key(definition)}"))
    if set(given) - used:
        raise BenchError(f"--cfg-options {sorted(set(given) - used)[0]}: no training of {exp.name} has it")
    return runs


def evaluations_of(exp: Config) -> list[tuple[str | None, dict]]:
    """(name, evaluation) pairs: the one `evaluation` unnamed, or each of a list by its name."""
    if isinstance(exp.evaluation, Mapping):
        return [(None, dict(exp.evaluation))]
    names = [e.get("name") for e in exp.evaluation]
    if not names or None in names or len(set(names)) != len(names):
        raise BenchError(f"{exp.name}: a list of evaluations needs a distinct name for each")
    return [(e["name"], dict(e)) for e in exp.evaluation]


def _training_label(training: Mapping, overrides: Mapping) -> str:
    """A readable prefix of a training's folder (the hash alone identifies it, whatever the run's name)."""
    config = Path(str(overrides.get("config", training.get("config") or training.get("baseline")))).stem
    return f"{config}-{training.get('task', 'binary')}"


def eval_spec(run: Run):
    """The dataset spec a run is scored on (its editor selection included)."""
    from benchmark.datasets.spec import DatasetSpec

    ev = run.definition["evaluation"]
    return DatasetSpec.of(ev["dataset"], {"editors": ev["editors"]} if ev.get("editors") else {})


def scored_on(run: Run) -> str:
    """What a run is scored on, for people: its dataset spec and split."""
    return f"{eval_spec(run)} {run.definition['evaluation'].get('split', 'val')}"


def check_roots(runs: Sequence[Run], roots: Mapping[str, str]) -> None:
    """Every dataset the runs read has a root, before any work starts."""
    missing = sorted({name for r in runs for name in r.datasets if name not in roots})
    if missing:
        raise BenchError(f"no --root for {', '.join(missing)}: give --root {missing[0]}=PATH")


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time trains in a shared training folder (two grids may share it); the
    lock goes with the process, so a killed one never leaves it held."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def run_one(run: Run, roots: Mapping[str, str], progress: bool = False) -> str:
    """Train (or resume, or reuse) and evaluate one run; returns its final state. Errors are kept
    in `failed.txt` (and re-raised as one line), so the run is reported and never tabled."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.sweep import sweep
    from benchmark.metrics.policy import Policy
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    if run.state() == "done":
        return "done"
    run.folder.mkdir(parents=True, exist_ok=True)
    (run.folder / "failed.txt").unlink(missing_ok=True)
    (run.folder / "run.json").write_text(json.dumps(run.definition, indent=1, default=str) + "\n")
    tr, ev = run.definition["training"], run.definition["evaluation"]
    t, o = tr["training"], tr["overrides"]
    try:
        spec = DatasetSpec.of(tr["dataset"])
        with _locked(run.train_folder):
            if not run.trained:
                cfg = load_config(o.get("config", t.get("config")), t.get("baseline"), dict(o.get("cfg_options", {})),
                                  max_iters=o.get("max_iters"), batch_size=o.get("batch_size"), size=o.get("size"))
                train(cfg, spec, roots[spec.name], t.get("task", "binary"), str(run.train_folder),
                      resume=(run.train_folder / "last_checkpoint").is_file(),
                      holdout_generators=o.get("holdout_generators", t.get("holdout_generators")),
                      progress=progress)
                (run.train_folder / "done").write_text("")
        scored = eval_spec(run)
        partial = run.folder / "eval.partial"
        shutil.rmtree(partial, ignore_errors=True)  # the toolkit's own half-written output
        sweep(run.train_folder, scored, roots[scored.name], ev.get("split", "val"), partial, list(ev["distortions"]),
                 Policy.from_options({k: str(v) for k, v in ev.get("policy", {}).items()}),
                 batch_size=ev.get("batch_size", 8), progress=progress, breakdown_keys=ev.get("breakdown", ()),
                 explain=ev.get("explain"), audit_format=bool(ev.get("audit_format")), experiment_run=run.label)
        partial.rename(run.folder / "eval")
    except Exception as exc:
        (run.folder / "failed.txt").write_text("".join(traceback.format_exception(exc)))
        raise BenchError(f"run {run.label} ({run.folder}) failed: {exc}") from None
    return run.state()


def run_grid(runs: Sequence[Run], roots: Mapping[str, str], executor: str = "local", progress: bool = True,
             slurm: dict[str, Any] | None = None) -> dict[str, str]:
    """Run every run not done yet: one after the other in this process (`local`), or as jobs of
    submitit (`slurm`, or `submitit-local` to try the same path on this machine). Returns each
    run's final state; a failure does not stop the others."""
    check_roots(runs, roots)
    todo = [r for r in runs if r.state() != "done"]
    states = {r.label: "done" for r in runs if r not in todo}
    if executor == "local":
        for r in todo:
            try:
                states[r.label] = run_one(r, roots, progress)
            except BenchError:
                states[r.label] = "failed"
        return states
    cluster = {"submitit-local": "local", "slurm": "slurm"}.get(executor)
    if cluster is None:
        raise BenchError(f"executor '{executor}' (known: local, slurm, submitit-local)")
    if not todo:
        return states
    import submitit

    ex = submitit.AutoExecutor(folder=todo[0].folder.parent.parent / "submitit", cluster=cluster)
    ex.update_parameters(**(slurm or {}))
    jobs = [(r, ex.submit(run_one, r, dict(roots), False)) for r in todo]
    for r, job in jobs:
        try:
            states[r.label] = job.result()
        except Exception:  # the job's own failed.txt says why
            states[r.label] = "failed"
    return states


def table(exp: Config, runs: Sequence[Run], metric: str | None = None):
    """The experiment's table from the result files of finished runs only, with the paper's
    numbers as rows marked 'reported by the paper'. `table.cols` is "distortion" (runs x
    distortions for one `metric`, then each row's relative drop), "evaluation" (trainings x named
    evaluations for one `metric`, e.g. a cross-generator matrix) or "metric" (runs x metrics on
    the first distortion)."""
    from benchmark.results import read_result
    from benchmark.tables import Grid

    mode = exp.table.cols
    if mode not in ("distortion", "evaluation", "metric"):
        raise BenchError(f"{exp.name}: table.cols '{mode}' (known: distortion, evaluation, metric)")
    first = evaluations_of(exp)[0][1]
    cols = {"distortion": list(first["distortions"]), "evaluation": [n for n, _ in evaluations_of(exp)],
            "metric": list(exp.table.get("metrics", []))}[mode]
    title = {"distortion": f"distortion ({metric})", "evaluation": f"evaluation ({metric})",
             "metric": f"metric ({first['distortions'][0]})"}[mode]
    grid = Grid(rows=[], cols=cols, cells={}, row_key="run", col_key=title)
    for run in runs:
        if run.state() != "done":
            continue
        row = run.name if mode == "evaluation" else run.label
        if row not in grid.rows:
            grid.rows.append(row)
        for path in run.results() if mode == "distortion" else run.results()[:1]:
            result = read_result(path)
            if mode == "metric":
                grid.cells.update({(row, m): result["metrics"].get(m) for m in cols})
            else:
                grid.cells[(row, result["distortion"] if mode == "distortion" else run.evaluation)] = \
                    result["metrics"].get(metric)
    for ref in exp.get("reference", []):
        values = ({m: ref["values"].get(m) for m in cols} if mode == "metric" else ref["values"].get(metric, {}))
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            label = f"{ref['row']} (reported by the paper)"
            grid.rows.append(label)
            grid.cells.update({(label, col): value for col, value in values.items()})
    if mode == "distortion" and "clean" in cols and len(cols) > 1:
        from benchmark.metrics.robustness import relative_drop

        distorted = [c for c in cols if c != "clean"]
        grid.cols = [*cols, DROP]
        for row in grid.rows:
            drop = relative_drop(grid.cells.get((row, "clean")), [grid.cells.get((row, c)) for c in distorted])
            if drop is not None:
                grid.cells[(row, DROP)] = drop
    return grid


def plotted_metric(exp: Config) -> str:
    """The metric of the robustness curves: miou when the table shows it, else its first metric."""
    shown = exp.table.get("metrics", ["miou"])
    return "miou" if "miou" in shown else shown[0]


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


def table_metrics(exp: Config) -> list[str | None]:
    """One table per metric when columns are distortions or evaluations; one table of metrics otherwise."""
    return [None] if exp.table.cols == "metric" else list(exp.table.get("metrics", ["miou"]))


def report(exp: Config, runs: Sequence[Run], scale: str, out: str | os.PathLike) -> Path:
    """One markdown page (`index.md` in the new folder `out`) with the experiment's tables beside
    the paper's numbers, its plots (robustness curves, generator confusion, IoU by edited area)
    and the provenance of every number: the result file and its SHA-256, dataset spec, split and
    split hash, policy, checkpoint and how it was selected."""
    from benchmark.outputs import new_folder
    from benchmark.plots import plot_area_bins, plot_confusion
    from benchmark.results import read_result
    from benchmark.tables import render

    out = new_folder(out)
    done = [r for r in runs if r.state() == "done"]
    lines = [f"# {exp.name} ({scale} scale)", ""]
    if exp.get("description"):
        lines += [exp.description, ""]
    lines += ["## Runs", "", "| run | state | trained by | scored on |", "|---|---|---|---|"]
    for r in runs:
        state = r.state()
        if state == "failed":
            error = (r.folder / "failed.txt").read_text().strip().splitlines()[-1]
            state = f"failed: `{error}`"
        lines.append(f"| {r.label} | {state} | `{r.train_folder}` | {scored_on(r)} |")
    lines += ["", "Failed and unfinished runs are not in the tables. Rows marked *reported by the paper* are "
                  "the seed papers' numbers (`shared/spec/metrics.md`), not measured here.", "", "## Tables", ""]
    for metric in table_metrics(exp):
        if metric:
            lines += [f"### {metric}", ""]
        lines += [render(table(exp, runs, metric), "markdown"), ""]
    figures = []
    if done and exp.table.cols == "distortion" and len(evaluations_of(exp)[0][1]["distortions"]) > 1:
        figures.append(("Robustness", robustness_plot(runs, plotted_metric(exp), out / "robustness.png")))
    for r in done:
        result = read_result(r.results()[0])
        if result["metrics"].get("generator_confusion"):
            figures.append((f"{r.label}: generator confusion ({result['distortion']})",
                            plot_confusion(result, out / f"confusion-{r.label}.png", str(r.results()[0]))))
        bins = result.get("breakdowns", {}).get("area_bin", {})
        metric = next((m for m in ("iou", "miou") if any(g.get(m) is not None for g in bins.values())), None)
        if metric:
            figures.append((f"{r.label}: {metric} by edited area ({result['distortion']})",
                            plot_area_bins(result, metric, out / f"area-{r.label}.png", where=str(r.results()[0]))))
    if figures:
        lines += ["## Plots", ""] + [f"### {title}\n\n![{title}]({path.name})\n" for title, path in figures]
    lines += ["## Provenance", "", "| run | distortion | result file | sha256 | dataset spec | split | split hash | "
              "policy | checkpoint | selection | bench |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in done:
        selection = _selection(r.train_folder)
        for path in r.results():
            result, digest = read_result(path), sha256_file(path)
            sub, prov = result.get("submission", {}), result.get("provenance", {})
            lines.append(f"| {r.label} | {result['distortion']} | `{path}` | `{digest[:16]}` | `{result['dataset_spec']}` | "
                         f"{result['split']} | `{str(prov.get('split_manifest_hash'))[:16]}` | "
                         f"{result['policy'].get('preset', 'custom')} | `{sub.get('checkpoint')}` | {selection} | "
                         f"{prov.get('scorer_version')} |")
    (out / "index.md").write_text("\n".join(lines) + "\n")
    return out / "index.md"


def _selection(train_folder: Path) -> str:
    """How the training chose its checkpoint, from its run.json."""
    try:
        return json.loads((train_folder / "run.json").read_text()).get("selection", "")
    except (OSError, ValueError):
        return ""
