"""End-to-end training runs on a tiny DiffSeg30k fixture: seeding, resume, cross-generator meta."""
import json
from pathlib import Path

import albumentations as A
import pytest
import torch

from benchmark.cli.main import main
from benchmark.datasets.torch_dataset import SegmentationDataset
from benchmark.errors import BenchError
from benchmark.baselines.build import read_checkpoint
from benchmark.training.config import load_config
from benchmark.training.runner import train

from diffseg_fixtures import write_diffseg


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_diffseg(tmp_path_factory.mktemp("diffseg"), train=10, validation=4, size=40)


def config(max_iters=4, **options):
    opts = {"model.encoder": "resnet18", "data.num_workers": 0, "data.val_batch_size": 4, "log_interval": 1,
            "checkpoint.interval": 2, "train_cfg.val_interval": 2, **options}
    return load_config("deeplabv3plus_r50_512", None, opts, max_iters=max_iters, batch_size=2, size=64, seed=3)


def losses(work_dir: Path) -> list[float]:
    scalars = next(work_dir.glob("*/vis_data/scalars.json"))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_seeded_runs_are_identical(root, tmp_path):
    a = train(config(), "diffseg", str(root), work_dir=str(tmp_path / "a"), progress=False)
    b = train(config(), "diffseg", str(root), work_dir=str(tmp_path / "b"), progress=False)
    assert a["iters"] == b["iters"] == 4
    la, lb = losses(tmp_path / "a"), losses(tmp_path / "b")
    assert len(la) == 4 and la == lb
    wa = read_checkpoint(a["last_checkpoint"])["state_dict"]
    wb = read_checkpoint(b["last_checkpoint"])["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    c = train(config(), "diffseg", str(root), work_dir=str(tmp_path / "c"), progress=False, task="semantic")
    assert losses(tmp_path / "c") != la  # a different task really trains differently


def test_the_validation_schedule_does_not_change_the_training(root, tmp_path):
    # A validation loader with worker processes draws its base seed when its first pass starts;
    # from the global generator, that draw would shift every later dropout mask.
    opts = {"data.num_workers": 1, "model.aspp_dropout": 0.5, "checkpoint.interval": 4}
    a = train(config(**opts, **{"train_cfg.val_interval": 1}), "diffseg", str(root), work_dir=str(tmp_path / "a"),
              progress=False)
    b = train(config(**opts, **{"train_cfg.val_interval": 4}), "diffseg", str(root), work_dir=str(tmp_path / "b"),
              progress=False)
    assert losses(tmp_path / "a") == losses(tmp_path / "b")
    wa = read_checkpoint(a["last_checkpoint"])["state_dict"]
    wb = read_checkpoint(b["last_checkpoint"])["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_a_pinned_thread_count_holds_for_the_run_and_is_restored(root, tmp_path, monkeypatch):
    import benchmark.training.runner as runner

    seen = []
    build = runner.build_runner
    monkeypatch.setattr(runner, "build_runner", lambda *a, **k: (seen.append(torch.get_num_threads()), build(*a, **k))[1])
    before = torch.get_num_threads()
    pinned = 1 if before > 1 else 2
    train(config(max_iters=1, threads=pinned), "diffseg", str(root), work_dir=str(tmp_path / "a"), progress=False)
    assert seen == [pinned] and torch.get_num_threads() == before
    train(config(max_iters=1), "diffseg", str(root), work_dir=str(tmp_path / "b"), progress=False)
    assert seen == [pinned, before]


def test_resume_after_interruption(root, tmp_path, monkeypatch):
    loaded = []  # (training item?, index) of every sample read
    original = SegmentationDataset.__getitem__
    monkeypatch.setattr(SegmentationDataset, "__getitem__",
                        lambda self, i: loaded.append((isinstance(self.transforms.transforms[-1], A.HorizontalFlip), i)) or original(self, i))
    work = tmp_path / "run"
    first = train(config(), "diffseg", str(root), work_dir=str(work), progress=False)
    order = [i for is_train, i in loaded if is_train]
    with pytest.raises(BenchError, match="--resume"):
        train(config(), "diffseg", str(root), work_dir=str(work), progress=False)
    # as if killed between the checkpoints of iterations 2 and 4
    Path(first["last_checkpoint"]).unlink()
    (work / "last_checkpoint").write_text(str(work / "iter_2.pth"))
    loaded.clear()
    resumed = train(config(), "diffseg", str(root), work_dir=str(work), resume=True, progress=False)
    assert resumed["iters"] == 4
    # iterations 3-4 see the samples the uninterrupted run saw; trained batches are not re-read
    assert [i for is_train, i in loaded if is_train] == order[4:]
    assert len(loaded) == 4 + 4  # plus the validation at iteration 4
    checkpoint = read_checkpoint(resumed["last_checkpoint"])
    assert checkpoint["meta"]["iter"] == 4
    log = next(p for p in sorted(work.glob("*/*.log")) if "resumed" in p.read_text())
    assert "resumed epoch: 0, iter: 2" in log.read_text()


def test_cross_generator_selection_is_recorded(root, tmp_path):
    work = tmp_path / "xgen"
    out = train(config(max_iters=2), "diffseg", str(root), task="semantic", work_dir=str(work),
                holdout_generators=["flux.1"], progress=False)
    assert out["train_generators"] == ["SD2", "SDXL"]
    run = json.loads((work / "run.json").read_text())
    assert run["holdout_generators"] == ["Flux.1"] and run["model"]["num_classes"] == 4
    meta = read_checkpoint(out["last_checkpoint"])["meta"]
    assert meta["dataset_meta"]["train_generators"] == ["SD2", "SDXL"]
    editors = json.loads((work / "editors.train.json").read_text())
    assert len(editors) == 10  # every training image indexed once, then cached


def test_cli_errors_are_one_line(root, tmp_path, capsys):
    assert main(["train", "--baseline", "deeplabv3plus", "--dataset", "diffseg", "--root",
                 str(tmp_path / "missing"), "--no-progress"]) == 2
    assert main(["train", "--baseline", "deeplabv3plus", "--dataset", "diffseg", "--root", str(root),
                 "--holdout-generators", "Glide", "--work-dir", str(tmp_path / "w"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "dataset root does not exist" in err and "unknown generator 'Glide'" in err
    assert "Traceback" not in err
