import numpy as np
import pytest
from scipy.spatial.distance import cdist

from benchmark.metrics import Evaluator, Policy
from benchmark.metrics.boundary import bf1_from_counts, boundary_counts
from reference_scorers import brute_boundary
from reference_scorers import csurka_bf as brute_bf


def blobs(rng, shape, n):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    m = np.zeros(shape, bool)
    for _ in range(n):
        cy, cx, r = rng.integers(0, shape[0]), rng.integers(0, shape[1]), rng.integers(2, 9)
        m |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return m


@pytest.mark.parametrize("seed", range(12))
def test_boundary_counts_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(20, 45)), int(rng.integers(20, 45)))
    gt, pred = blobs(rng, shape, 3), blobs(rng, shape, 3)
    theta = float(rng.uniform(0.5, 6))
    pm, pt, gm, gtot = boundary_counts(gt, pred, theta)
    f = bf1_from_counts(np.array([[[pm, pt, gm, gtot]]]), None)[0]
    assert pt == brute_boundary(pred).sum() and gtot == brute_boundary(gt).sum()
    assert f == pytest.approx(brute_bf(gt, pred, theta), abs=1e-12) or (np.isnan(f) and np.isnan(brute_bf(gt, pred, theta)))


def test_integer_distance_is_not_within_tolerance():
    gt = np.zeros((20, 20), bool)
    gt[5:10, 5:10] = True
    pred = np.roll(gt, 2, axis=1)  # vertical edges move by exactly 2 px
    pm, pt, _, _ = boundary_counts(gt, pred, 2.0)
    assert pm / pt == pytest.approx(np.mean(cdist(np.argwhere(brute_boundary(pred)), np.argwhere(brute_boundary(gt))).min(1) < 2.0))
    assert pm < pt


def semantic_eval(policy, gt, pred):
    ev = Evaluator("semantic", ["unedited", "a", "b"], policy)
    ev.add("x", gt, pred)
    return ev.compute()


def test_bf1_class_rules_present_absent_and_both_empty():
    gt = np.zeros((40, 40), np.uint8)
    gt[5:20, 5:20] = 1
    pred = gt.copy()
    # class 1 perfect, class 2 absent from both: skipped -> 1.0; DAVIS rule both_empty=1 -> also 1.0
    assert semantic_eval(Policy(), gt, pred).metrics["bf1"] == 1.0
    assert semantic_eval(Policy(bf1_both_empty=1.0), gt, pred).metrics["bf1"] == 1.0
    # class 2 predicted but absent from GT: scores 0, mean over the two classes = 0.5
    pred2 = pred.copy()
    pred2[30:35, 30:35] = 2
    assert semantic_eval(Policy(), gt, pred2).metrics["bf1"] == 0.5
    # authentic image, empty prediction: no class scored -> image skipped (None); DAVIS rule -> 1.0
    empty = np.zeros((40, 40), np.uint8)
    assert semantic_eval(Policy(), empty, empty).metrics["bf1"] is None
    assert semantic_eval(Policy(bf1_both_empty=1.0), empty, empty).metrics["bf1"] == 1.0
    assert semantic_eval(Policy(bf1_both_empty=0.0), empty, empty).metrics["bf1"] == 0.0


def test_binary_bf1_split_is_mean_over_scored_images():
    rng = np.random.default_rng(5)
    ev = Evaluator("binary", ["unedited", "edited"], Policy(bf1_tolerance=0.05))
    expected = []
    for i in range(4):
        gt, pred = blobs(rng, (30, 34), 2), blobs(rng, (30, 34), 2)
        ev.add(str(i), gt.astype(np.uint8) * (i + 1), pred.astype(np.float32))
        expected.append(brute_bf(gt, pred, 0.05 * np.hypot(30, 34)))
    ev.add("empty", np.zeros((30, 34), np.uint8), np.zeros((30, 34), np.float32))  # skipped, not 0
    assert ev.compute().metrics["bf1"] == pytest.approx(np.nanmean(expected))
