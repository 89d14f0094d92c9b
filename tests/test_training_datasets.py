"""`bench train` and `bench eval` beyond DiffSeg30k: DOLOS setup C and Semi-Truths select their
checkpoint on their own validation split and record the dataset spec in every output."""
import json

import pytest
from PIL import Image

from benchmark.cli.main import main


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["dolos[setup=C]", "semitruths"])
def test_train_selects_on_val_and_eval_records_the_spec(spec, demo_roots, tmp_path, capsys):
    root = demo_roots[spec.split("[")[0]]
    work = tmp_path / "work"
    # the spec comes from the command line, or from the config (data.dataset)
    given = ["--dataset", spec] if spec == "semitruths" else ["--cfg-options", f"data.dataset={spec}"]
    assert main(["train", "--baseline", "deeplabv3plus", *given, "--root", str(root), "--work-dir", str(work),
                 "--max-iters", "2", "--batch-size", "2", "--size", "32", "--no-progress",
                 "--cfg-options", "model.encoder=resnet18", "data.num_workers=0"]) == 0
    run = json.loads((work / "run.json").read_text())
    assert run["dataset_spec"] == spec and "on split 'val'" in run["selection"]
    scalars = [json.loads(line) for line in next(work.glob("*/vis_data/scalars.json")).read_text().splitlines()]
    assert any("val/miou" in row for row in scalars)  # validation ran, so the best checkpoint is the val-selected one
    assert list(work.glob("best_val_miou_iter_2.pth"))
    out = tmp_path / "eval"
    assert main(["eval", "--checkpoint", str(work), "--dataset", spec, "--root", str(root), "--split", "validation",
                 "--distortion", "jpeg60", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results" / "jpeg60.json").read_text())
    assert (result["dataset_spec"], result["split"], result["distortion"]) == (spec, "val", "jpeg60")
    assert result["submission"]["train_dataset_spec"] == spec
    manifest = json.loads(__import__("zipfile").ZipFile(out / "predictions" / "jpeg60.zip").read("manifest.json"))
    assert manifest["dataset_spec"] == spec and manifest["split"] == "val"
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(work), "--dataset", spec, "--root", str(root), "--split", "nonsense",
                 "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no split 'nonsense'" in err and "splits found: train, val, test" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_cnnspot_faces_study_trains_on_labels_explains_and_breaks_down(demo_roots, tmp_path, capsys):
    """The Semi-Truths faces study on the demo: CNNSpot trained real vs edited on the thesis'
    CelebA-HQ subset, selected by validation AP, predicted clean and under JPEG 60, with Grad-CAM
    maps scored against the masks and the results broken down by model and facial region."""
    root, spec = demo_roots["semitruths"], "semitruths[preset=thesis-celebahq]"
    work = tmp_path / "work"
    assert main(["train", "--baseline", "cnnspot", "--dataset", spec, "--root", str(root), "--work-dir", str(work),
                 "--max-iters", "2", "--batch-size", "2", "--no-progress",
                 "--cfg-options", "data.num_workers=0", "data.val_batch_size=8"]) == 0
    run = json.loads((work / "run.json").read_text())
    assert "best validation ap (greater) on split 'val'" in run["selection"] and run["dataset_spec"] == spec
    rows = [json.loads(line) for line in next(work.glob("*/vis_data/scalars.json")).read_text().splitlines()]
    val = next(r for r in rows if "val/ap" in r)
    assert {"val/auc", "val/image_acc", "val/loss"} <= set(val)
    out = tmp_path / "eval"
    breakdown = ["--breakdown", "diffusion_model", "mask_name", "sem_magnitude"]
    assert main(["eval", "--checkpoint", str(work), "--dataset", spec, "--root", str(root), "--split", "val",
                 "--distortion", "clean,jpeg60", "--out", str(out), "--quiet", "--audit-format", *breakdown]) == 0
    clean = json.loads((out / "results" / "clean.json").read_text())
    # Semi-Truths originals are JPEG, its edits PNG: the format alone gives them away, said beside the scores
    assert clean["audit"]["encodings"]["edited"] == {"png": clean["metrics"]["n_edited"]}
    assert clean["audit"]["format_only_balanced_accuracy"] == 1.0
    assert clean["task"] == "detection" and clean["submission"]["baseline"] == "cnnspot"
    # the checkpoint was chosen by the number bench score reports: same labels, same test pipeline
    assert clean["metrics"]["ap"] == pytest.approx(val["val/ap"], abs=1e-9)
    assert {"diffusion_model", "mask_name", "sem_magnitude", "area_bin"} <= set(clean["breakdowns"])
    assert (out / "robustness_ap.png").is_file()
    # Grad-CAM explanations of the same checkpoint: maps in full-image coordinates, scored as localization
    explained = tmp_path / "explained"
    assert main(["eval", "--checkpoint", str(work), "--dataset", spec, "--root", str(root), "--split", "val",
                 "--distortion", "clean,jpeg60", "--explain", "gradcam", "--out", str(explained), "--quiet",
                 *breakdown]) == 0
    result = json.loads((explained / "results" / "clean.json").read_text())
    assert result["task"] == "binary" and result["submission"]["explanation"] == "gradcam"
    assert result["metrics"]["ap"] == clean["metrics"]["ap"] and 0 <= result["metrics"]["iou"] <= 1
    regions = result["breakdowns"]["mask_name"]
    assert regions and all("iou" in m and "image_acc" in m for m in regions.values())
    from benchmark.datasets import DatasetSpec
    from benchmark.predictions.reader import Predictions

    preds = Predictions(explained / "predictions" / "clean.zip")
    for target in DatasetSpec.of(spec).build(root, "val").targets():
        assert preds.read_mask(target.image_id).shape == target.mask.shape
    overlays = tmp_path / "overlays"
    assert main(["explain", "--checkpoint", str(work), "--dataset", spec, "--root", str(root), "--split", "val",
                 "--first", "2", "--out", str(overlays)]) == 0
    index = json.loads((overlays / "explain.json").read_text())
    assert index["method"] == "gradcam" and len(index["images"]) == 2
    for name in index["images"]:
        panel = Image.open(overlays / name)
        assert panel.size == (2 * 64 + 4, 64)  # image | heat map with the GT outline, demo images 64 px
    capsys.readouterr()
    assert main(["table", str(explained / "results" / "clean.json"), "--rows", "mask_name", "--cols", "metric",
                 "--metrics", "image_acc", "iou", "--format", "csv"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line]
    assert table[0] == "mask_name \\ metric,image_acc,iou" and len(table) == 1 + len(regions)


def test_validation_reports_every_metric_even_when_undefined():
    import torch

    from benchmark.training.val_metric import ValidationMetric

    metric = ValidationMetric("binary", ["unedited", "edited"])
    metric.process({"label": torch.tensor([1, 1]), "image_id": ["a", "b"]},
                   [{"score": torch.tensor([0.2, 0.9]), "loss": torch.tensor(0.5)}])
    out = metric.compute_metrics(metric.results)
    assert set(out) == {"auc", "ap", "image_acc", "loss"} and out["ap"] == 1.0 and out["loss"] == 0.5
    assert out["auc"] != out["auc"]  # one class only: NaN, reported rather than dropped
