"""Experiment grids: content-addressed runs, skip and resume, a failed run reported and never
tabled, the submitit local executor, and the table beside the paper's numbers."""
import json
import textwrap

import pytest

from benchmark.cli.main import main
from benchmark.experiment import load_experiment, packaged_experiments, plan, run_grid, table, work_folder
from learnable_diffseg import write_diffseg


def experiment_file(tmp_path, iters=2, bad_second=False, a_iters=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "exp.py"
    second = "does_not_exist" if bad_second else "deeplabv3plus_r50_512"
    path.write_text(textwrap.dedent(f"""
        name = "tiny"
        dataset = "diffseg"
        trainings = [dict(name="a", config="deeplabv3plus_r50_512", task="binary"),
                     dict(name="b", config="{second}", task="semantic")]
        evaluation = dict(split="val", distortions=["clean", "jpeg60"], policy=dict(preset="diffseg"))
        scales = dict(demo=dict(all=dict(max_iters={iters}, batch_size=2, size=32,
                                         cfg_options={{"model.encoder": "resnet18", "data.num_workers": 0,
                                                       "data.val_batch_size": 4}}),
                                a=dict(max_iters={a_iters or iters})))
        table = dict(cols="distortion", metrics=["miou"])
        reference = [dict(row="a", values=dict(miou=dict(clean=0.9)))]
    """))
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_diffseg(tmp_path_factory.mktemp("diffseg"), train=6, validation=3, size=32)


@pytest.mark.slow
def test_grid_skips_finished_runs_and_reruns_only_a_changed_one(root, tmp_path, capsys):
    exp = load_experiment(str(experiment_file(tmp_path)))
    runs = plan(exp, "demo", work_folder(tmp_path / "work", exp, "demo"))
    assert [r.state() for r in runs] == ["todo", "todo"]
    assert run_grid(runs, str(root), progress=False) == {"a": "done", "b": "done"}
    stamps = {r.name: (r.folder / "eval" / "results" / "clean.json").stat().st_mtime_ns for r in runs}
    # nothing to do a second time; the table comes from the result files, the paper row beside them
    assert run_grid(runs, str(root), progress=False) == {"a": "done", "b": "done"}
    assert {r.name: (r.folder / "eval" / "results" / "clean.json").stat().st_mtime_ns for r in runs} == stamps
    grid = table(exp, runs, "miou")
    assert grid.rows == ["a", "b", "a (reported by the paper)"] and grid.cols == ["clean", "jpeg60", "relative drop"]
    assert grid.cells[("a (reported by the paper)", "clean")] == 0.9
    clean, jpeg = grid.cells[("a", "clean")], grid.cells[("a", "jpeg60")]
    if clean:
        assert grid.cells[("a", "relative drop")] == pytest.approx(1 - jpeg / clean)
    capsys.readouterr()
    assert main(["experiment", "table", str(experiment_file(tmp_path)), "--scale", "demo", "--work-dir",
                 str(tmp_path / "work"), "--plot", str(tmp_path / "robust.png")]) == 0
    assert (tmp_path / "robust.png").stat().st_size > 1000 and "reported by the paper" in capsys.readouterr().out
    result = json.loads((runs[0].folder / "eval" / "results" / "clean.json").read_text())
    assert grid.cells[("a", "clean")] == result["metrics"]["miou"] and result["submission"]["experiment_run"] == "a"
    # a changed definition of one run gets a new folder; the other is untouched
    changed = load_experiment(str(experiment_file(tmp_path / "v2", a_iters=3)))
    runs2 = plan(changed, "demo", work_folder(tmp_path / "work", changed, "demo"))
    assert runs2[0].folder != runs[0].folder and runs2[1].folder == runs[1].folder
    assert [r.state() for r in runs2] == ["todo", "done"]
    capsys.readouterr()
    assert main(["experiment", "plan", str(experiment_file(tmp_path)), "--scale", "demo",
                 "--work-dir", str(tmp_path / "w2")]) == 0


@pytest.mark.slow
def test_an_interrupted_run_resumes_and_a_failed_one_is_reported_not_tabled(root, tmp_path):
    exp = load_experiment(str(experiment_file(tmp_path, iters=4, bad_second=True)))
    runs = plan(exp, "demo", tmp_path / "work")
    # an interrupted training: a checkpoint at iteration 2 of 4 and no evaluation yet
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    o = runs[0].definition["overrides"]
    cfg = load_config("deeplabv3plus_r50_512", None, {**o["cfg_options"], "checkpoint.interval": 2},
                      max_iters=2, batch_size=2, size=32)
    train(cfg, "diffseg", str(root), "binary", str(runs[0].folder / "train"), progress=False)
    assert runs[0].state() == "partial"
    states = run_grid(runs, str(root), progress=False)
    assert states == {"a": "done", "b": "failed"}
    assert "does_not_exist" in (runs[1].folder / "failed.txt").read_text()
    assert table(exp, runs, "miou").rows == ["a", "a (reported by the paper)"]


@pytest.mark.slow
def test_submitit_local_executor_runs_a_two_run_grid(root, tmp_path):
    exp = load_experiment(str(experiment_file(tmp_path)))
    runs = plan(exp, "demo", tmp_path / "work")
    assert run_grid(runs, str(root), executor="submitit-local", progress=False) == {"a": "done", "b": "done"}
    assert all(p.is_file() for r in runs for p in r.results())


def test_every_packaged_experiment_plans_at_paper_scale(tmp_path):
    assert "diffseg-table3" in packaged_experiments()
    for name in packaged_experiments():
        runs = plan(load_experiment(name), "paper", tmp_path)
        assert runs and len({r.folder for r in runs}) == len(runs)
