"""The rows' intervals and p-values against brute force: resample the images explicitly, score each
resample from scratch (a fresh Evaluator over the drawn copies, sklearn for AP) and take the
quantiles; the leaderboard's estimate must give the same numbers."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from benchmark.leaderboards.submit import ranking_estimate
from benchmark.leaderboards.track import Track
from benchmark.metrics import Evaluator, Policy, bootstrap_ci
from benchmark.metrics.bootstrap import paired_p_value
from benchmark.scoring import make_evaluator

N, SEED, RESAMPLES = 7, 5, 60


def toy_images(seed: int, noise: float):
    """N small GT label maps (two generators, one authentic image) and noisy P(edited) maps."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(N):
        gt = np.zeros((12, 12), np.uint8)
        if k:
            y, x = rng.integers(0, 7, 2)
            gt[y:y + 5, x:x + 5] = 1 + k % 2
        prob = np.clip((gt > 0) * (1 - noise) + rng.random(gt.shape) * noise * 1.2, 0, 1).astype(np.float32)
        out.append((f"img{(k * 3) % N}", gt, prob))  # ids out of sorted order, as a pack may hold them
    return out


def evaluator(images, suffix=lambda k: "") -> Evaluator:
    ev = make_evaluator("binary", ["g1", "g2"], Policy())
    for k, (image_id, gt, prob) in enumerate(images):
        ev.add(image_id + suffix(k), gt, prob)
    return ev


def brute_force_draws(images_by_part, metric="miou"):
    """The mean over parts of `metric` on each resample, every resample scored from scratch on
    copies of the drawn images (sorted-id order, as the leaderboard resamples)."""
    rng = np.random.default_rng(SEED)
    ordered = [sorted(images, key=lambda im: im[0]) for images in images_by_part]
    draws = []
    for _ in range(RESAMPLES):
        pick = rng.integers(0, N, N)
        values = [evaluator([images[i] for i in pick], suffix=lambda k: f"#{k}").compute().metrics[metric]
                  for images in ordered]
        draws.append(np.mean(values))
    return np.array(draws)


def track(parts):
    return Track(name="toy", title="toy", dataset="diffseg", split="val", task="binary", rank_by="miou",
                 distortions=tuple(parts[1:]), rank_over=tuple(parts), bootstrap=RESAMPLES, seed=SEED)


@pytest.mark.parametrize("n_parts", [1, 2])
def test_interval_matches_brute_force_bootstrap(n_parts):
    parts = ["clean", "jpeg60"][:n_parts]
    images = [toy_images(10 + i, 0.6 + 0.2 * i) for i in range(n_parts)]
    evs = {p: evaluator(im) for p, im in zip(parts, images)}
    results = {p: {"metrics": ev.compute().metrics} for p, ev in evs.items()}
    estimate = ranking_estimate(track(parts), results, evs)
    brute = brute_force_draws(images)
    np.testing.assert_allclose(estimate.draws, brute, rtol=0, atol=1e-12)
    low, high = np.quantile(brute[~np.isnan(brute)], [0.025, 0.975])
    assert estimate.low == pytest.approx(low, abs=1e-12) and estimate.high == pytest.approx(high, abs=1e-12)
    assert estimate.seed == SEED and estimate.resamples == RESAMPLES and low < high
    assert estimate.value == pytest.approx(np.mean([r["metrics"]["miou"] for r in results.values()]))
    if n_parts == 1:  # the toolkit's bootstrap_ci resamples the evaluator's own order; same percentiles method
        ci = bootstrap_ci(evs["clean"], "miou", n=RESAMPLES, seed=SEED)
        assert ci["value"] == pytest.approx(estimate.value) and ci["low"] <= ci["high"]


def test_detection_interval_matches_sklearn_on_resamples():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"image_id": [f"i{k:02d}" for k in range(N)], "label": [0, 1, 1, 0, 1, 0, 1],
                          "score": rng.random(N)})
    t = Track(name="det", title="det", dataset="diffseg", split="val", task="detection", rank_by="ap",
              bootstrap=RESAMPLES, seed=SEED)
    estimate = ranking_estimate(t, {"clean": {"metrics": {"ap": 0.5}}}, {"clean": frame})
    draw_rng = np.random.default_rng(SEED)
    brute = []
    for _ in range(RESAMPLES):
        pick = draw_rng.integers(0, N, N)
        labels, scores = frame["label"].to_numpy()[pick], frame["score"].to_numpy()[pick]
        brute.append(average_precision_score(labels, scores) if 0 < labels.sum() < N else np.nan)
    brute = np.array(brute)
    defined = ~np.isnan(brute)
    np.testing.assert_allclose(estimate.draws[defined], brute[defined], atol=1e-12)


def test_paired_p_value_against_brute_force():
    strong, weak = toy_images(10, 0.3), toy_images(10, 0.9)
    leader = ranking_estimate(track(["clean"]), {"clean": {"metrics": {"miou": 1.0}}}, {"clean": evaluator(strong)})
    other = ranking_estimate(track(["clean"]), {"clean": {"metrics": {"miou": 0.5}}}, {"clean": evaluator(weak)})
    a, b = brute_force_draws([strong]), brute_force_draws([weak])
    expected = (1 + np.sum(b >= a)) / (1 + RESAMPLES)
    assert paired_p_value(leader.draws, other.draws) == pytest.approx(expected)
    assert paired_p_value(leader.draws, leader.draws) == 1.0
