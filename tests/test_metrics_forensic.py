import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import accuracy_score, f1_score, jaccard_score, roc_auc_score

from benchmark.metrics import Evaluator, Policy
from benchmark.metrics.pixel_histogram import BINS

BIN = ["unedited", "edited"]


def make_set(seed, n=6, shape=(32, 40)):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        gt = np.zeros(shape, np.uint8)
        if i % 3:  # every third image is authentic
            y, x = rng.integers(0, shape[0] - 10), rng.integers(0, shape[1] - 10)
            gt[y: y + rng.integers(4, 10), x: x + rng.integers(4, 12)] = rng.integers(1, 3)
        noise = rng.random(shape)
        prob = np.clip(0.55 * (gt > 0) + 0.6 * noise, 0, 1)
        prob = ((np.floor(prob * BINS).clip(0, BINS - 1) + 0.5) / BINS).astype(np.float64)  # bin centres
        out.append((f"im{i}", gt, prob))
    return out


def test_forensic_means_over_edited_images_match_sklearn():
    data = make_set(0)
    ev = Evaluator("binary", BIN)
    for d in data:
        ev.add(*d)
    m = ev.compute().metrics
    ious, f1s, accs, aucs, fps = [], [], [], [], []
    for _, gt, prob in data:
        y, p = gt.ravel() > 0, prob.ravel() > 0.5
        if y.any():
            ious.append(jaccard_score(y, p))
            f1s.append(f1_score(y, p))
            accs.append(accuracy_score(y, p))
            aucs.append(roc_auc_score(y, prob.ravel()))
        else:
            fps.append(p.mean())
    assert m["iou"] == pytest.approx(np.mean(ious))
    assert m["f1"] == pytest.approx(np.mean(f1s))
    assert m["pbca"] == pytest.approx(np.mean(accs))
    assert m["fp_area_real"] == pytest.approx(np.mean(fps))
    assert m["pixel_auc"] == pytest.approx(np.mean(aucs), abs=1e-12)
    y_all = np.concatenate([g.ravel() > 0 for _, g, _ in data])
    p_all = np.concatenate([p.ravel() for *_, p in data])
    assert m["pixel_auc_pooled"] == pytest.approx(roc_auc_score(y_all, p_all), abs=1e-12)
    assert m["f1_oracle"] >= m["f1"]
    assert m["n_edited"] == 4 and m["n_authentic"] == 2


def test_empty_union_rule_on_authentic_image_with_clean_prediction():
    gt = np.zeros((10, 10), np.uint8)
    for rule in (1.0, 0.0):
        ev = Evaluator("binary", BIN, Policy(empty_union=rule))
        ev.add("real", gt, np.zeros((10, 10), np.float32))
        ev.add("fp", gt, np.where(np.eye(10) > 0, 0.9, 0.1).astype(np.float32))
        df = ev.compute().per_image.set_index("image_id")
        assert df.loc["real", "iou"] == rule and df.loc["real", "f1"] == rule   # both empty: the policy decides
        assert df.loc["fp", "iou"] == 0.0 and df.loc["fp", "fp_area"] == pytest.approx(0.1)
        assert df.loc["real", "pbca"] == 1.0


def test_border_band_ignores_pixels_and_empty_union_applies_inside_means():
    gt = np.zeros((60, 60), np.uint8)
    gt[10:40, 10:40] = 1   # large region: keeps an eroded core
    gt[50:54, 50:54] = 2   # small region: entirely inside the band
    rng = np.random.default_rng(2)
    prob = rng.random(gt.shape).astype(np.float32)
    ev = Evaluator("binary", BIN, Policy(border_band=(15, 11), empty_union=1.0))
    ev.add("a", gt, prob)
    small = np.zeros_like(gt)
    small[20:24, 20:24] = 1
    ev.add("b", small, np.zeros_like(prob))
    df = ev.compute().per_image.set_index("image_id")
    edited = gt > 0
    inner = ndimage.binary_erosion(edited, np.ones((15, 15)), border_value=0)
    outer = ndimage.binary_dilation(edited, np.ones((11, 11)))
    keep = inner | ~outer
    y, p = edited[keep], prob[keep] > 0.5
    assert df.loc["a", "iou"] == pytest.approx(jaccard_score(y, p))
    assert df.loc["a", "pbca"] == pytest.approx(accuracy_score(y, p))
    assert df.loc["b", "iou"] == 1.0    # all edited pixels banded, nothing predicted: empty union -> 1.0
    assert df.loc["b", "edited_area"] == pytest.approx(16 / 3600)   # area is measured before banding


def test_invert_allowed_takes_the_better_of_p_and_1_minus_p():
    gt = np.zeros((20, 20), np.uint8)
    gt[:10] = 1
    inverted = np.where(gt > 0, 0.1, 0.9).astype(np.float32)
    for allowed, expected in ((False, 0.0), (True, 1.0)):
        ev = Evaluator("binary", BIN, Policy(invert_allowed=allowed))
        ev.add("a", gt, inverted)
        r = ev.compute()
        assert r.metrics["iou"] == expected and r.metrics["f1"] == expected
        assert r.metrics["pixel_auc"] == expected
        assert any("invert_allowed" in w for w in r.warnings) == allowed


def test_ignore_index_excluded_from_forensic_counts():
    gt = np.zeros((10, 10), np.uint8)
    gt[:5] = 1
    gt[:, :2] = 255
    prob = np.zeros((10, 10), np.float32)
    prob[:, :2] = 1.0      # predictions on ignored pixels must not count as false positives
    prob[:5, 2:] = 1.0
    ev = Evaluator("binary", BIN)
    ev.add("a", gt, prob)
    m = ev.compute().metrics
    assert m["iou"] == 1.0 and m["pbca"] == 1.0 and m["miou"] == 1.0
