"""bench score end to end on a DiffSeg-layout fixture: perfect, empty, swapped and resized predictions."""
import hashlib
import json
import zipfile

import numpy as np
import pytest
from diffseg_fixtures import GENERATORS, make_diffseg

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k
from benchmark.predictions import write_predictions
from benchmark.scoring import prediction_at, score_predictions


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = make_diffseg(tmp_path_factory.mktemp("ds"), n=10)
    ds = DiffSeg30k(root, split="train")
    gts = {r.image_id: ds.load_target(r).mask for r in ds.records}
    return root, gts


def _score(tmp_path, root, task, masks, name, **kw):
    pred = write_predictions(tmp_path / name, task, "diffseg", "train", GENERATORS, "test", masks.items(), **kw)
    return score_predictions(pred, "diffseg", root, "train", workers=1, progress=False)


@pytest.mark.parametrize("task", ["binary", "semantic"])
def test_perfect_prediction_scores_one(tmp_path, data, task):
    root, gts = data
    masks = {i: (m > 0).astype(np.float32) if task == "binary" else m for i, m in gts.items()}
    m = _score(tmp_path, root, task, masks, "p")["metrics"]
    assert m["miou"] == m["bf1"] == m["iou"] == m["pixel_acc"] == 1.0


def test_all_background_scores_zero_with_true_pixel_accuracy(tmp_path, data):
    root, gts = data
    result = _score(tmp_path, root, "semantic", {i: np.zeros_like(m) for i, m in gts.items()}, "p")
    m = result["metrics"]
    background = sum(int((g == 0).sum()) for g in gts.values()) / sum(g.size for g in gts.values())
    assert m["miou"] == 0.0 and m["bf1"] == 0.0 and m["iou"] == 0.0
    assert m["pixel_acc"] == pytest.approx(background, abs=1e-12)
    assert 0.5 < background < 1.0  # the fixture has both kinds of pixels, so the check can fail


def test_swapped_generators_keep_binary_and_drop_semantic(tmp_path, data):
    root, gts = data
    swap = np.array([0, 2, 3, 1] + list(range(4, 256)), np.uint8)
    swapped = {i: swap[m] for i, m in gts.items()}
    semantic = _score(tmp_path, root, "semantic", swapped, "sem")["metrics"]
    binary = _score(tmp_path, root, "binary", {i: (m > 0).astype(np.float32) for i, m in swapped.items()}, "bin")["metrics"]
    assert binary["miou"] == 1.0
    assert semantic["miou"] == 0.0 and semantic["pixel_acc"] < 1.0


def test_other_resolution_is_resized_to_the_gt(tmp_path, data):
    root, gts = data
    # nearest x2 upsampling: resizing back with nearest (semantic) / bilinear + threshold (binary) is exact
    big = {i: np.kron(m, np.ones((2, 2), np.uint8)) for i, m in gts.items()}
    sem = _score(tmp_path, root, "semantic", big, "sem")["metrics"]
    binary = _score(tmp_path, root, "binary", {i: (m > 0) for i, m in big.items()}, "bin")["metrics"]
    assert sem["miou"] == 1.0 and binary["miou"] == 1.0


def test_bilinear_resize_of_probabilities():
    stored = np.array([[0, 255]], np.uint8)
    up = prediction_at(stored, "binary", (1, 4))
    assert up.dtype == np.float32
    np.testing.assert_allclose(up[0], [0.0, 0.25, 0.75, 1.0])
    ids = prediction_at(np.array([[1, 2]], np.uint8), "semantic", (1, 4))
    assert ids.tolist() == [[1, 1, 2, 2]]


def test_generator_order_in_manifest_is_remapped(tmp_path, data):
    root, gts = data
    order = [GENERATORS[2], GENERATORS[0], GENERATORS[1]]  # class k of the predictions = order[k-1]
    to_pred = np.array([0, 2, 3, 1] + list(range(4, 256)), np.uint8)
    pred = write_predictions(tmp_path / "p", "semantic", "diffseg", "train", order, "t",
                             ((i, to_pred[m]) for i, m in gts.items()))
    assert score_predictions(pred, "diffseg", root, "train", workers=1, progress=False)["metrics"]["miou"] == 1.0


def test_workers_give_the_same_result(tmp_path):
    root = make_diffseg(tmp_path / "ds", n=40, seed=3)
    ds = DiffSeg30k(root, split="train")
    rng = np.random.default_rng(0)
    masks = ((r.image_id, rng.random(ds.load_target(r).mask.shape).astype(np.float32)) for r in ds.records)
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENERATORS, "noise", masks)
    one = score_predictions(pred, "diffseg", root, "train", workers=1, progress=False)
    two = score_predictions(pred, "diffseg", root, "train", workers=2, progress=False)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    assert 0.0 < one["metrics"]["iou"] < 1.0


def test_cli_writes_result_json_with_policy_and_method(tmp_path, data, capsys):
    root, gts = data
    pred = write_predictions(tmp_path / "p.zip", "binary", "diffseg", "train", GENERATORS, "my-net",
                             ((i, m > 0) for i, m in gts.items()), extra_manifest={"train_generators": ["alpha"]})
    out, per_image = tmp_path / "r.json", tmp_path / "per_image.csv"
    assert main(["score", str(pred), "--dataset", "diffseg", "--root", str(root), "--split", "train",
                 "--policy", "empty_union=0", "--per-image", str(per_image), "--out", str(out), "--workers", "1"]) == 0
    result = json.loads(out.read_text())
    assert result["schema"] == "bench.result/2" and result["method"] == "my-net"
    assert result["submission"]["train_generators"] == ["alpha"] and result["n_images"] == len(gts)
    assert result["submission"]["manifest_sha256"] == hashlib.sha256(
        zipfile.ZipFile(pred).read("manifest.json")).hexdigest()
    policy, provenance = result["policy"], result["provenance"]
    for key in ("preset", "changed", "reduction", "pixel_threshold", "image_threshold", "empty_union",
                "background_excluded", "bf1_tolerance", "resolution", "invert_allowed", "border_band", "image_score"):
        assert key in policy, key
    for key in ("jpeg_encoder", "library_versions", "scorer_version", "split_manifest_hash"):
        assert key in provenance and key not in policy, key
    assert policy["empty_union"] == 0.0 and policy["preset"] == "diffseg" and policy["changed"] == ["empty_union"]
    assert result["distortion"] == "clean" and result["dataset_spec"] == "diffseg"
    # without image scores every edited-or-not decision comes from the map: no authentic-only warning here
    assert "my-net" in capsys.readouterr().out
    import pandas as pd

    assert sorted(pd.read_csv(per_image, dtype={"image_id": str})["image_id"]) == sorted(gts)
    # the split hash changes with the split's content
    root2 = make_diffseg(tmp_path / "ds2", n=10, seed=1)
    pred2 = write_predictions(tmp_path / "p2", "binary", "diffseg", "train", GENERATORS, "x",
                              ((r.image_id, np.zeros((1, 1), np.float32)) for r in DiffSeg30k(root2).records))
    other = score_predictions(pred2, "diffseg", root2, "train", workers=1, progress=False)
    assert other["provenance"]["split_manifest_hash"] != provenance["split_manifest_hash"]


def test_sanity_warnings_reach_json_and_terminal(tmp_path, data, capsys):
    root, gts = data
    # image scores inverted: edited images score 0, authentic ones 1 -> AUC 0 < 0.5
    scores = {i: float(not m.any()) for i, m in gts.items()}
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENERATORS, "inv",
                             ((i, m > 0) for i, m in gts.items()), scores=scores)
    out = tmp_path / "r.json"
    assert main(["score", str(pred), "--dataset", "diffseg", "--root", str(root), "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    warnings = json.loads(out.read_text())["warnings"]
    assert any("AUC" in w and "< 0.5" in w for w in warnings)
    assert "inverted" in capsys.readouterr().err


def test_detection_only_submission(tmp_path, data):
    root, gts = data
    scores = {i: 0.9 if m.any() else 0.1 for i, m in gts.items()}
    pred = write_predictions(tmp_path / "d", "detection", "diffseg", "train", GENERATORS, "cls", scores=scores)
    m = score_predictions(pred, "diffseg", root, "train", workers=1, progress=False)["metrics"]
    assert m["ap"] == 1.0 and m["auc"] == 1.0
