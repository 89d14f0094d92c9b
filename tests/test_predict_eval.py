"""bench predict / bench eval on a checkpoint of a tiny training run."""
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k
from benchmark.sweep import parse_sweep
from benchmark.baselines.build import load_trained
from benchmark.predict import predict_split
from benchmark.training.config import load_config
from benchmark.training.runner import train

from diffseg_fixtures import write_diffseg


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pred")
    root = write_diffseg(tmp / "data", train=6, validation=5, size=40)
    cfg = load_config("deeplabv3plus_r50_512", None, {"model.encoder": "resnet18", "data.num_workers": 0},
                      max_iters=2, batch_size=2, size=64)
    out = train(cfg, "diffseg", str(root), work_dir=str(tmp / "work"), holdout_generators=["SDXL"], progress=False)
    return root, out["last_checkpoint"]


def test_predictions_are_the_models_probabilities(trained, tmp_path):
    root, ckpt = trained
    out = predict_split(ckpt, "diffseg", root, "validation", tmp_path / "p.zip", distortion="jpeg60", progress=False)
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        stored = cv2.imdecode(np.frombuffer(z.read("masks/00000007.png"), np.uint8), cv2.IMREAD_UNCHANGED)
        scores = z.read("scores.csv").decode().splitlines()
    assert manifest["train_generators"] == ["SD2", "Flux.1"] and manifest["distortion"] == "jpeg60"
    assert manifest["task"] == "binary" and len(scores) == 1 + 5
    # independent forward pass on the same distorted, resized image
    from benchmark.distortions import apply_distortion, image_seed
    model, _ = load_trained(ckpt)
    sample = next(s for s in DiffSeg30k(root, "validation") if s.image_id == "00000007")
    image = apply_distortion("jpeg60", sample.image, image_seed(sample.image_id, 0))
    image = cv2.resize(image, (64, 64), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(image.transpose(2, 0, 1).copy())[None]
    with torch.no_grad():
        p_edited = 1 - model(model.data_preprocessor({"inputs": x})["inputs"])["probs"][0, 0].numpy()
    assert stored.shape == (64, 64)
    assert np.abs(stored.astype(int) - np.rint(p_edited * 255)).max() <= 1


def test_eval_sweep_writes_results_table_and_plot(trained, tmp_path, capsys):
    root, ckpt = trained
    assert parse_sweep("clean, JPEG60,jpeg60,resize32+jpeg90") == ["clean", "jpeg60", "resize32+jpeg90"]
    out = tmp_path / "eval"
    work_dir = str(Path(ckpt).parent)  # a work dir stands for its best checkpoint
    assert main(["eval", "--checkpoint", work_dir, "--dataset", "diffseg", "--root", str(root),
                 "--distortion", "clean,jpeg60,resize32", "--out", str(out), "--quiet"]) == 0
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert set(results) == {"clean", "jpeg60", "resize32"}
    assert all(r["n_images"] == 5 and r["submission"]["train_generators"] == ["SD2", "Flux.1"] for r in results.values())
    assert all(Path(r["submission"]["checkpoint"]).name.startswith("best_") for r in results.values())
    assert (out / "robustness_miou.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert "jpeg60" in printed and "miou" in printed
    assert main(["eval", "--checkpoint", ckpt, "--dataset", "diffseg", "--root", str(root), "--out", str(out)]) == 2


def test_eval_results_are_byte_equal_to_predict_then_score(trained, tmp_path):
    """One pass over the split (images decoded once, scored as predicted, in loader workers and
    writer processes) writes exactly what `bench predict` + `bench score` write per distortion."""
    from benchmark.results import write_result
    from benchmark.scoring import score_predictions
    from benchmark.sweep import sweep

    root, ckpt = trained
    distortions = ["clean", "jpeg60", "resize32+noise4"]
    report = sweep(ckpt, "diffseg", root, "val", tmp_path / "eval", distortions, batch_size=2, workers=2,
                   progress=False, breakdown_keys=["turns"])
    for d, path in zip(distortions, report["results"]):
        preds = predict_split(ckpt, "diffseg", root, "val", tmp_path / f"{d}.zip", distortion=d, batch_size=2,
                              workers=0, progress=False)
        alone = write_result(score_predictions(preds, "diffseg", root, "val", progress=False, breakdown_keys=["turns"]),
                             tmp_path / f"{d}.json")
        assert Path(path).read_bytes() == alone.read_bytes(), d
        with zipfile.ZipFile(tmp_path / "eval" / "predictions" / f"{d}.zip") as a, zipfile.ZipFile(preds) as b:
            assert a.namelist() == b.namelist()
            assert all(a.read(n) == b.read(n) for n in a.namelist())


def test_inference_never_imports_the_training_runner(trained, tmp_path):
    import subprocess
    import sys

    root, ckpt = trained
    code = ("import sys; from benchmark.cli.main import main; "
            f"assert main(['predict', '--checkpoint', {str(ckpt)!r}, '--dataset', 'diffseg', '--root', {str(root)!r}, "
            f"'--out', {str(tmp_path / 'p.zip')!r}, '--quiet', '--workers', '1']) == 0; "
            "print(sorted(m for m in sys.modules if m.startswith('benchmark.training')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_eval_on_a_split_without_images_says_so_before_any_work(trained, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, ckpt = trained
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "labels.json").write_text((root / "labels.json").read_text())
    pq.write_table(pa.table({"image": pa.array([], pa.binary()), "mask": pa.array([], pa.binary())}),
                   empty / "validation-00000-of-00001.parquet")
    for command in ("eval", "predict"):
        out = tmp_path / f"{command}_out"
        assert main([command, "--checkpoint", ckpt, "--dataset", "diffseg", "--root", str(empty), "--out",
                     str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"split 'val' of diffseg holds no images" in " ".join(err.split()) and len(err.strip().splitlines()) == 1
        assert not out.exists()
