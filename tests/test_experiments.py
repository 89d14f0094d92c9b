"""Experiment grids: content-addressed runs, skip and resume, a failed run reported and never
tabled, the submitit local executor, and the table beside the paper's numbers."""
import hashlib
import json
import textwrap

import pytest

from benchmark.cli.main import main
from benchmark.errors import BenchError
from benchmark.experiment import eval_spec, load_experiment, packaged_experiments, plan, report, run_grid, table
from diffseg_fixtures import write_diffseg


def experiment_file(tmp_path, iters=2, bad_second=False, a_iters=None, evaluation=None, name="tiny"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "exp.py"
    second = "does_not_exist" if bad_second else "deeplabv3plus_r50_512"
    evaluation = evaluation or 'dict(split="val", distortions=["clean", "jpeg60"], policy=dict(preset="diffseg"))'
    path.write_text(textwrap.dedent(f"""
        name = "{name}"
        dataset = "diffseg"
        trainings = [dict(name="a", config="deeplabv3plus_r50_512", task="binary"),
                     dict(name="b", config="{second}", task="semantic")]
        evaluation = {evaluation}
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
    runs = plan(exp, "demo", tmp_path / "work")
    assert [r.state() for r in runs] == ["todo", "todo"]
    with pytest.raises(BenchError, match="no --root for diffseg: give --root diffseg=PATH"):
        run_grid(runs, {}, progress=False)
    assert run_grid(runs, {"diffseg": str(root)}, progress=False) == {"a": "done", "b": "done"}
    stamps = {r.name: (r.folder / "eval" / "results" / "clean.json").stat().st_mtime_ns for r in runs}
    # nothing to do a second time; the table comes from the result files, the paper row beside them
    assert run_grid(runs, {"diffseg": str(root)}, progress=False) == {"a": "done", "b": "done"}
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
    runs2 = plan(changed, "demo", tmp_path / "work")
    assert runs2[0].folder != runs[0].folder and runs2[1].folder == runs[1].folder
    assert [r.state() for r in runs2] == ["todo", "done"]
    capsys.readouterr()
    assert main(["experiment", "plan", str(experiment_file(tmp_path)), "--scale", "demo",
                 "--work-dir", str(tmp_path / "w2")]) == 0
    # the report: tables beside the paper's row, the plots, and each number's result file by its hash
    index = report(exp, runs, "demo", tmp_path / "report")
    page = index.read_text()
    assert "a (reported by the paper)" in page and "![Robustness](robustness.png)" in page
    assert (tmp_path / "report" / "robustness.png").is_file() and (tmp_path / "report" / "confusion-b.png").is_file()
    for r in runs:
        for path in r.results():
            assert f"`{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}`" in page
    with pytest.raises(BenchError, match="exists"):
        report(exp, runs, "demo", tmp_path / "report")


@pytest.mark.slow
def test_a_cross_dataset_experiment_reuses_the_trainings_and_scores_on_each_named_evaluation(root, demo_roots, tmp_path):
    exp = load_experiment(str(experiment_file(tmp_path)))
    runs = plan(exp, "demo", tmp_path / "work")
    assert run_grid(runs, {"diffseg": str(root)}, progress=False) == {"a": "done", "b": "done"}
    trained = {p: p.stat().st_mtime_ns for r in runs for p in r.train_folder.glob("*.pth")}
    path = experiment_file(tmp_path / "x", name="cross", evaluation=(
        '[dict(name="diffseg", split="val", distortions=["clean"]), '
        'dict(name="cocoglide", dataset="cocoglide", split="test", distortions=["clean"], policy=dict(preset="dolos"))]'))
    path.write_text(path.read_text().replace('table = dict(cols="distortion", metrics=["miou"])',
                                             'table = dict(cols="evaluation", metrics=["iou"])'))
    cross = load_experiment(str(path))
    runs2 = plan(cross, "demo", tmp_path / "work")
    assert [r.label for r in runs2] == ["a@diffseg", "a@cocoglide", "b@diffseg", "b@cocoglide"]
    assert [r.train_folder for r in runs2] == [r.train_folder for r in runs for _ in range(2)]
    assert {r.state() for r in runs2} == {"trained"}
    with pytest.raises(BenchError, match="no --root for cocoglide: give --root cocoglide=PATH"):
        run_grid(runs2, {"diffseg": str(root)}, progress=False)
    states = run_grid(runs2, {"diffseg": str(root), "cocoglide": str(demo_roots["cocoglide"])}, progress=False)
    assert {p: p.stat().st_mtime_ns for r in runs for p in r.train_folder.glob("*.pth")} == trained  # no training
    # a binary localiser transfers; a semantic one has another generator map, and says so
    assert states == {"a@diffseg": "done", "a@cocoglide": "done", "b@diffseg": "done", "b@cocoglide": "failed"}
    assert "generator map" in (runs2[3].folder / "failed.txt").read_text()
    result = json.loads(runs2[1].results()[0].read_text())
    assert result["dataset_spec"] == "cocoglide" and result["split"] == "test" and result["policy"]["preset"] == "dolos"
    grid = table(cross, runs2, "iou")
    assert grid.rows == ["a", "b"] and grid.cols == ["diffseg", "cocoglide"]
    assert grid.cells[("a", "cocoglide")] == result["metrics"]["iou"] and ("b", "cocoglide") not in grid.cells
    assert result["submission"]["experiment_run"] == "a@cocoglide"



@pytest.mark.slow
def test_an_interrupted_run_resumes_and_a_failed_one_is_reported_not_tabled(root, tmp_path):
    exp = load_experiment(str(experiment_file(tmp_path, iters=4, bad_second=True)))
    runs = plan(exp, "demo", tmp_path / "work")
    # an interrupted training: a checkpoint at iteration 2 of 4 and no evaluation yet
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    o = runs[0].definition["training"]["overrides"]
    cfg = load_config("deeplabv3plus_r50_512", None, {**o["cfg_options"], "checkpoint.interval": 2},
                      max_iters=2, batch_size=2, size=32)
    train(cfg, "diffseg", str(root), "binary", str(runs[0].train_folder), progress=False)
    assert runs[0].state() == "partial"
    states = run_grid(runs, {"diffseg": str(root)}, progress=False)
    assert states == {"a": "done", "b": "failed"}
    assert "does_not_exist" in (runs[1].folder / "failed.txt").read_text()
    assert table(exp, runs, "miou").rows == ["a", "a (reported by the paper)"]


@pytest.mark.slow
def test_submitit_local_executor_runs_a_two_run_grid(root, tmp_path):
    exp = load_experiment(str(experiment_file(tmp_path)))
    runs = plan(exp, "demo", tmp_path / "work")
    assert run_grid(runs, {"diffseg": str(root)}, executor="submitit-local", progress=False) == {"a": "done", "b": "done"}
    assert all(p.is_file() for r in runs for p in r.results())


def test_every_packaged_experiment_plans_at_paper_scale(tmp_path):
    assert "diffseg-table3" in packaged_experiments()
    for name in packaged_experiments():
        runs = plan(load_experiment(name), "paper", tmp_path)
        assert runs and len({r.folder for r in runs}) == len(runs)


def test_held_out_editors_are_what_a_run_is_scored_on_and_cfg_options_reach_the_configs_that_have_them(tmp_path):
    path = tmp_path / "exp.py"
    path.write_text(textwrap.dedent("""
        name = "unseen"
        dataset = "diffseg"
        trainings = [dict(name="all", config="deeplabv3plus_r50_512"),
                     dict(name="without-sdxl", config="univfd_vitl14", holdout_generators=["SDXL", "Flux.1"])]
        evaluation = dict(split="val", distortions=["clean"], editors="held-out")
        table = dict(cols="metric", metrics=["ap"])
    """))
    exp = load_experiment(str(path))
    runs = plan(exp, "paper", tmp_path / "w")
    assert [str(eval_spec(r)) for r in runs] == ["diffseg", "diffseg[editors=SDXL,Flux.1]"]
    with_weights = plan(exp, "paper", tmp_path / "w", {"model.clip_weights": "/weights/ViT-L-14.pt"})
    assert with_weights[0].folder == runs[0].folder and with_weights[0].train_folder == runs[0].train_folder
    assert with_weights[1].train_folder != runs[1].train_folder
    assert with_weights[1].definition["training"]["overrides"]["cfg_options"] == {"model.clip_weights": "/weights/ViT-L-14.pt"}
    with pytest.raises(BenchError, match="--cfg-options model.colour: no training of unseen has it"):
        plan(exp, "paper", tmp_path / "w", {"model.colour": "red"})
    # an experiment that only scores differently shares the trainings
    other = load_experiment(str(path))
    other.name, other.evaluation = "unseen-jpeg", dict(split="val", distortions=["jpeg60"])
    assert [r.train_folder for r in plan(other, "paper", tmp_path / "w")] == [r.train_folder for r in runs]


def test_roots_name_the_experiment_dataset_or_any_other_one():
    from benchmark.cli.experiment import parse_roots

    assert parse_roots(["/data/d", "cocoglide=/data/CocoGlide"], "diffseg[editors=SD2]") == {
        "diffseg": "/data/d", "cocoglide": "/data/CocoGlide"}
    assert parse_roots(["/data/a=b"], "dolos[setup=C]") == {"dolos": "/data/a=b"}  # not a dataset name: a path
    with pytest.raises(BenchError, match="--root: two roots for diffseg"):
        parse_roots(["/a", "diffseg=/b"], "diffseg")


def test_command_line_cfg_options_win_over_the_scales_shortcuts(tmp_path):
    # The scale sets max_iters/batch_size/size by shortcut; --cfg-options for the same entries used
    # to be applied first and then silently overridden by the shortcut.
    from benchmark.training.config import load_config

    exp = load_experiment(str(experiment_file(tmp_path, iters=600)))
    given = {"train_cfg.max_iters": 3, "data.batch_size": 1}
    for run in plan(exp, "demo", tmp_path / "w", given):
        o = run.definition["training"]["overrides"]
        assert "max_iters" not in o and "batch_size" not in o and o["size"] == 32
        cfg = load_config(o.get("config", "deeplabv3plus_r50_512"), None, dict(o["cfg_options"]),
                          max_iters=o.get("max_iters"), batch_size=o.get("batch_size"), size=o.get("size"))
        assert (cfg.train_cfg.max_iters, cfg.data.batch_size, cfg.data.size) == (3, 1, 32)
    # without them, the scale's shortcuts hold
    assert {r.definition["training"]["overrides"]["max_iters"] for r in plan(exp, "demo", tmp_path / "w")} == {600}


def _training_config(run):
    """The config a run trains with, as run_one builds it."""
    from benchmark.training.config import load_config

    t, o = run.definition["training"]["training"], run.definition["training"]["overrides"]
    return load_config(o.get("config", t.get("config")), t.get("baseline"), dict(o.get("cfg_options", {})),
                       max_iters=o.get("max_iters"), batch_size=o.get("batch_size"), size=o.get("size"))


def test_diffseg_modern_trains_segformer_and_upernet_at_512_px_and_their_cpu_variants_at_demo_scale(tmp_path):
    exp, table3 = load_experiment("diffseg-modern"), load_experiment("diffseg-table3")
    # Table 3's distortions and metrics, and the paper's DeepLabv3+ and FCN-8s rows beside the new ones
    assert exp.evaluation == table3.evaluation and exp.table == table3.table
    assert exp.reference == table3.reference
    assert {r["row"] for r in exp.reference} == {"deeplabv3plus-binary", "deeplabv3plus-semantic",
                                                 "fcn8s-binary", "fcn8s-semantic"}
    expected = {"segformer-binary": ("segformer", "mit_b2", "mit_b0", 2), "segformer-semantic": ("segformer", "mit_b2", "mit_b0", 0),
                "upernet-binary": ("upernet", "tu-convnext_tiny", "resnet18", 2),
                "upernet-semantic": ("upernet", "tu-convnext_tiny", "resnet18", 0)}
    paper = plan(exp, "paper", tmp_path)
    assert [r.name for r in paper] == list(expected)
    for run in paper:
        arch, encoder, _, _ = expected[run.name]
        cfg = _training_config(run)
        assert (cfg.model.type, cfg.model.arch, cfg.model.encoder) == ("smp", arch, encoder)
        assert (cfg.data.size, cfg.data.batch_size, cfg.train_cfg.max_iters) == (512, 16, 30000)
        assert run.definition["training"]["training"]["task"] == run.name.split("-")[1]
    demo = plan(exp, "demo", tmp_path)
    assert [r.name for r in demo] == list(expected)
    assert len({r.train_folder for r in demo + paper}) == 8  # every run trains, none shares a folder across scales
    for run in demo:
        arch, _, encoder, weights = expected[run.name]
        cfg = _training_config(run)
        assert (cfg.model.arch, cfg.model.encoder, cfg.model.get("pretrained")) == (arch, encoder, None)
        assert cfg.data.size == 128 and cfg.train_cfg.max_iters <= 600
        assert cfg.train_cfg.val_interval == cfg.train_cfg.max_iters  # one validation: the checkpoint kept
        # the demo recipe's class weights are binary's (unedited, edited); the semantic runs drop them
        assert len(cfg.model.class_weight or ()) == weights
