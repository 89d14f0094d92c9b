import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmark.metrics import average_precision, balanced_detection, image_accuracy, roc_auc
from benchmark.metrics.pixel_histogram import BINS, auc_from_histogram, best_f1_from_histogram, probability_histogram


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("levels", [None, 5])  # continuous scores, and heavy ties
def test_ap_auc_match_sklearn(seed, levels):
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.3
    scores = rng.random(300) + 0.4 * labels
    if levels:
        scores = np.round(scores * levels) / levels
    assert average_precision(scores, labels) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_rank_metrics_accept_raw_scores_and_single_class():
    labels = np.array([0, 1, 1, 0])
    logits = np.array([-3.0, 7.0, 2.0, 1.0])
    assert average_precision(logits, labels) == 1.0 and roc_auc(logits, labels) == 1.0
    assert np.isnan(roc_auc(logits, np.ones(4))) and np.isnan(average_precision(logits, np.zeros(4)))


def test_image_accuracy_is_strictly_above_threshold():
    assert image_accuracy(np.array([0.5, 0.51, 0.2]), np.array([0, 1, 0])) == 1.0


def test_histogram_auc_and_oracle_f1_match_exact_computation():
    rng = np.random.default_rng(3)
    gt = (rng.random((40, 50)) < 0.3).astype(np.uint8)
    gt[0, :5] = 255
    # probabilities on bin centres, so binning loses nothing and sklearn is the exact reference
    prob = ((rng.integers(0, BINS, gt.shape) + 0.5) / BINS * 0.7 + 0.3 * gt).clip(0, 1).astype(np.float64)
    prob = (np.floor(prob * BINS) + 0.5) / BINS
    hist = probability_histogram(gt, prob)
    keep = gt != 255
    assert hist.sum() == keep.sum()
    assert auc_from_histogram(hist) == pytest.approx(roc_auc_score(gt[keep], prob[keep]), abs=1e-12)
    best = max(
        2 * np.sum((prob[keep] >= t) & (gt[keep] == 1)) / (np.sum(gt[keep] == 1) + np.sum(prob[keep] >= t))
        for t in np.unique(prob[keep]))
    assert best_f1_from_histogram(hist) == pytest.approx(best, abs=1e-12)


def test_balanced_detection_subsamples_min_class():
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(30), np.ones(70)].astype(bool)
    scores = rng.random(100) + 0.5 * labels
    out = balanced_detection(scores, labels, draws=5, seed=1337)
    assert out["n_per_class"] == 30
    # reproduce one draw by hand: the protocol is a deterministic function of the seed
    r = np.random.default_rng(1337)
    aps = []
    for _ in range(5):
        pick = np.r_[r.choice(np.flatnonzero(~labels), 30, replace=False), r.choice(np.flatnonzero(labels), 30, replace=False)]
        aps.append(average_precision_score(labels[pick], scores[pick]))
    assert out["ap_mean"] == pytest.approx(np.mean(aps)) and out["ap_2std"] == pytest.approx(2 * np.std(aps))
    assert 0 < out["acc_mean"] <= 1
