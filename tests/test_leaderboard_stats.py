"""The rows' intervals and p-values against brute force: resample the images explicitly, score each
resample from scratch (a fresh Evaluator over the drawn copies, sklearn for AP) and take the
quantiles; the leaderboard's estimate must give the same numbers."""
import numpy as np
import pytest
from reference_scorers import dolos_evaluate_detection
from sklearn.metrics import average_precision_score

from benchmark.leaderboards.ranking import ranking_estimate
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


def detection_images(seed: int = 3, n: int = N):
    """(id, label, score) of `n` images, ids out of sorted order."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation([k % 2 for k in range(n)])
    return [(f"i{(k * 5) % n:02d}", int(lab), float(s)) for k, (lab, s) in enumerate(zip(labels, rng.random(n)))]


def detection_evaluator(images, policy: Policy = Policy()) -> Evaluator:
    """Image scores through the one Evaluator path: the detection task takes no map."""
    ev = make_evaluator("detection", ["g1"], policy)
    for image_id, label, score in images:
        ev.add(image_id, np.full((4, 4), label, np.uint8), None, score=score, label=label)
    return ev


def test_detection_interval_matches_sklearn_on_resamples():
    images = detection_images()
    t = Track(name="det", title="det", dataset="diffseg", split="val", task="detection", rank_by="ap",
              bootstrap=RESAMPLES, seed=SEED)
    ev = detection_evaluator(images)
    metrics = ev.compute().metrics
    labels, scores = np.array([im[1] for im in images]), np.array([im[2] for im in images])
    assert metrics["ap"] == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    estimate = ranking_estimate(t, {"clean": {"metrics": metrics}}, {"clean": ev})
    ordered = sorted(images)
    draw_rng = np.random.default_rng(SEED)
    brute = []
    for _ in range(RESAMPLES):
        pick = draw_rng.integers(0, N, N)
        lab, sc = np.array([ordered[i][1] for i in pick]), np.array([ordered[i][2] for i in pick])
        brute.append(average_precision_score(lab, sc) if 0 < lab.sum() < N else np.nan)
    brute = np.array(brute)
    defined = ~np.isnan(brute)
    assert defined.sum() > RESAMPLES // 2
    np.testing.assert_array_equal(np.isnan(estimate.draws), ~defined)
    np.testing.assert_allclose(estimate.draws[defined], brute[defined], atol=1e-12)


def test_balanced_ap_is_a_weighted_statistic_like_the_rest():
    """DOLOS's balanced AP comes out of the same weights path: on the whole split it is DOLOS's own
    evaluate_detection over the images in sorted-id order, and on a resample it is that function run
    on the drawn copies (so a public-phase board can show it)."""
    from benchmark.metrics.bootstrap import resample_weights

    images = detection_images(seed=8, n=12)
    policy = Policy.preset_policy("dolos")
    ev = detection_evaluator(images, policy)
    metrics = ev.compute().metrics
    ordered = sorted(images)

    def dolos(rows):
        mean, two_std = dolos_evaluate_detection([s for _, lab, s in rows if lab == 0], [s for _, lab, s in rows if lab == 1])
        return mean / 100, two_std / 100

    assert (metrics["ap_balanced"], metrics["ap_balanced_2std"]) == pytest.approx(dolos(ordered), abs=1e-12)
    stat = ev.weighted_metric("ap_balanced")
    position = {image_id: k for k, (image_id, _, _) in enumerate(ordered)}
    order = [position[i] for i in ev.image_ids]  # the evaluator's weights follow its own order
    for w in resample_weights(len(ordered), 5, seed=2):
        drawn = [row for row, times in zip(ordered, w) for _ in range(int(times))]
        if 0 < sum(r[1] for r in drawn) < len(drawn):
            assert stat(w[order]) == pytest.approx(dolos(drawn)[0], abs=1e-12)


def test_paired_p_value_against_brute_force():
    strong, weak = toy_images(10, 0.3), toy_images(10, 0.9)
    leader = ranking_estimate(track(["clean"]), {"clean": {"metrics": {"miou": 1.0}}}, {"clean": evaluator(strong)})
    other = ranking_estimate(track(["clean"]), {"clean": {"metrics": {"miou": 0.5}}}, {"clean": evaluator(weak)})
    a, b = brute_force_draws([strong]), brute_force_draws([weak])
    expected = (1 + np.sum(b >= a)) / (1 + RESAMPLES)
    assert paired_p_value(leader.draws, other.draws) == pytest.approx(expected)
    assert paired_p_value(leader.draws, leader.draws) == 1.0
