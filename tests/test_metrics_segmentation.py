import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, jaccard_score

from benchmark.metrics import Evaluator, Policy
from benchmark.metrics.confusion import count_confusion

NAMES = ["unedited", "sd2", "flux", "glide"]


def random_pairs(seed, n=5, shape=(24, 31), k=4):
    rng = np.random.default_rng(seed)
    for i in range(n):
        gt = rng.integers(0, k, shape).astype(np.uint8)
        gt[rng.random(shape) < 0.1] = 255
        pred = np.where(rng.random(shape) < 0.6, gt % 255, rng.integers(0, k, shape)).astype(np.uint8)
        pred[gt == 255] = rng.integers(0, k, (gt == 255).sum())
        yield f"im{i}", gt, pred


def test_count_confusion_matches_sklearn_and_drops_ignore():
    _, gt, pred = next(random_pairs(0))
    conf = count_confusion(gt, pred, 4)
    keep = gt != 255
    assert (conf[:4] == confusion_matrix(gt[keep], pred[keep], labels=range(4))).all()
    assert conf[255].sum() == (~keep).sum() and conf[4:255].sum() == 0


@pytest.mark.parametrize("seed", range(3))
def test_semantic_global_metrics_match_sklearn(seed):
    ev = Evaluator("semantic", NAMES)
    gts, preds = [], []
    for image_id, gt, pred in random_pairs(seed):
        ev.add(image_id, gt, pred)
        keep = gt != 255
        gts.append(gt[keep])
        preds.append(pred[keep])
    gt_all, pred_all = np.concatenate(gts), np.concatenate(preds)
    m = ev.compute().metrics
    ious = jaccard_score(gt_all, pred_all, labels=range(4), average=None)
    assert [m["iou_per_class"][n] for n in NAMES] == pytest.approx(ious)
    assert m["miou"] == pytest.approx(ious[1:].mean())
    assert m["miou_with_bg"] == pytest.approx(ious.mean())
    assert m["pixel_acc"] == pytest.approx(np.mean(gt_all == pred_all))
    conf = confusion_matrix(gt_all, pred_all, labels=range(4))
    assert m["generator_confusion"]["counts"] == conf[1:].tolist()
    assert m["generator_confusion"]["cols"] == NAMES
    assert m["iou_per_generator"] == pytest.approx(dict(zip(NAMES[1:], ious[1:])))
    assert m["recall_per_generator"]["flux"] == pytest.approx(conf[2, 1:].sum() / conf[2].sum())


def test_class_with_empty_union_is_nan_and_left_out():
    gt = np.zeros((8, 8), np.uint8)
    gt[:4] = 1
    pred = gt.copy()
    pred[0, 0] = 2                       # class 2 (flux) predicted once: IoU 0; class 3 never seen: NaN
    ev = Evaluator("semantic", NAMES)
    ev.add("a", gt, pred)
    m = ev.compute().metrics
    assert m["iou_per_class"]["glide"] is None
    assert m["miou"] == pytest.approx((31 / 32 + 0.0) / 2)


def test_binary_task_binarises_gt_and_keeps_generator_rows():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 3, (20, 20)).astype(np.uint8)
    prob = rng.random((20, 20)).astype(np.float32)
    ev = Evaluator("binary", ["unedited", "edited"], generator_names=["sd2", "flux"])
    ev.add("a", gt, prob)
    m = ev.compute().metrics
    y, p = gt.ravel() > 0, prob.ravel() > 0.5
    assert m["miou"] == pytest.approx(jaccard_score(y, p))
    assert m["pixel_acc"] == pytest.approx(np.mean(y == p))
    for g, name in ((1, "sd2"), (2, "flux")):
        assert m["recall_per_generator"][name] == pytest.approx(p[gt.ravel() == g].mean())


def test_global_vs_per_image_reduction_on_two_images():
    # Image A: gt 1100, pred 1000 -> tp1 fn1 tn2: IoU_edit 1/2, IoU_bg 2/3, acc 3/4
    # Image B: gt 1000, pred 1111 -> tp1 fp3:     IoU_edit 1/4, IoU_bg 0,   acc 1/4
    # global:    tp2 fp3 fn1 tn2 -> IoU_edit 2/6 = 1/3, IoU_bg 2/6 = 1/3, acc 4/8
    # per_image: miou (1/2 + 1/4)/2 = 3/8; acc (3/4 + 1/4)/2 = 1/2;
    #            miou_with_bg ((1/2 + 2/3)/2 + (1/4 + 0)/2)/2 = 17/48
    a_gt, a_pred = np.array([[1, 1, 0, 0]], np.uint8), np.array([[1, 0, 0, 0]], np.float32)
    b_gt, b_pred = np.array([[1, 0, 0, 0]], np.uint8), np.array([[1, 1, 1, 1]], np.float32)
    results = {}
    for reduction in ("global", "per_image"):
        ev = Evaluator("binary", ["unedited", "edited"], Policy(reduction=reduction))
        ev.add("a", a_gt, a_pred)
        ev.add("b", b_gt, b_pred)
        results[reduction] = ev.compute().metrics
    g, p = results["global"], results["per_image"]
    assert (g["miou"], g["miou_with_bg"], g["pixel_acc"]) == pytest.approx((1 / 3, 1 / 3, 1 / 2))
    assert (p["miou"], p["miou_with_bg"], p["pixel_acc"]) == pytest.approx((3 / 8, 17 / 48, 1 / 2))
    # forensic iou is per image in both: mean(1/2, 1/4)
    assert g["iou"] == p["iou"] == pytest.approx(3 / 8)


def test_bad_inputs_raise_bench_error_naming_the_image():
    from benchmark.errors import BenchError
    ev = Evaluator("semantic", NAMES)
    gt = np.zeros((4, 4), np.uint8)
    with pytest.raises(BenchError, match="img7.*outside"):
        ev.add("img7", gt, np.full((4, 4), 4, np.uint8))
    with pytest.raises(BenchError, match="img7.*resize"):
        ev.add("img7", gt, np.zeros((4, 5), np.uint8))
    with pytest.raises(BenchError, match="img7.*label id 9"):
        ev.add("img7", np.full((4, 4), 9, np.uint8), np.zeros((4, 4), np.uint8))
    evb = Evaluator("binary", ["unedited", "edited"])
    with pytest.raises(BenchError, match="img7.*\\[0, 1\\]"):
        evb.add("img7", gt, np.full((4, 4), np.nan, np.float32))
    with pytest.raises(BenchError, match="img7.*float"):
        evb.add("img7", gt, np.zeros((4, 4), np.uint8))
    evb.add("ok", gt, np.zeros((4, 4), np.float32))
    with pytest.raises(BenchError, match="ok.*twice"):
        evb.add("ok", gt, np.zeros((4, 4), np.float32))


def test_huge_image_fallback_counts_match(monkeypatch):
    import benchmark.metrics.confusion as confusion
    _, gt, pred = next(random_pairs(4))
    fast = count_confusion(gt, pred, 4)
    monkeypatch.setattr(confusion, "_FLOAT32_EXACT", 1)   # force the bincount path used above 2**24 pixels
    assert (count_confusion(gt, pred, 4) == fast).all()
