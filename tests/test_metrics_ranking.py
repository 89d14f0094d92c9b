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


def test_balanced_detection_is_dolos_evaluate_detection():
    from reference_scorers import dolos_evaluate_detection

    rng = np.random.default_rng(0)
    for n_real, n_fake in ((30, 70), (70, 30), (12, 12)):
        labels = np.r_[np.zeros(n_real), np.ones(n_fake)].astype(bool)
        scores = rng.random(labels.size) + 0.3 * labels
        out = balanced_detection(scores, labels, draws=5, seed=1337)
        mean, two_std = dolos_evaluate_detection(scores[~labels], scores[labels])
        assert out["ap_balanced_n_per_class"] == min(n_real, n_fake)
        assert 100 * out["ap_balanced"] == pytest.approx(mean, abs=1e-9)
        assert 100 * out["ap_balanced_2std"] == pytest.approx(two_std, abs=1e-9)
        if n_real != n_fake:
            assert two_std > 0  # the draws differ: the subsample is what is being pinned
    empty = balanced_detection(np.ones(3), np.ones(3, bool))
    assert empty["ap_balanced_n_per_class"] == 0 and np.isnan(empty["ap_balanced"])
