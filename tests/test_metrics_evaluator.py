import json

import numpy as np
import pandas as pd
import pytest

from benchmark.errors import BenchError
from benchmark.metrics import Evaluator, Policy, bootstrap_ci

NAMES = ["unedited", "sd2", "flux", "glide"]


def images(seed, n=10, shape=(40, 48)):
    rng = np.random.default_rng(seed)
    for i in range(n):
        gt = np.zeros(shape, np.uint8)
        turns = int(rng.integers(0, 3))
        for t in range(turns):
            y, x = rng.integers(0, shape[0] - 12, 2)
            gt[y: y + 12, x: x + rng.integers(5, 15)] = rng.integers(1, 4)
        pred = np.where(rng.random(shape) < 0.85, gt, rng.integers(0, 4, shape)).astype(np.uint8)
        yield f"im{i}", gt, pred, {"turns": turns, "source": "coco" if i % 2 else "ade"}


def filled(items, policy=Policy()):
    ev = Evaluator("semantic", NAMES, policy)
    for image_id, gt, pred, meta in items:
        ev.add(image_id, gt, pred, meta=meta)
    return ev


@pytest.mark.parametrize("policy", [Policy(), Policy(reduction="per_image", bf1_both_empty=1.0)])
def test_merge_of_halves_equals_one_pass_and_state_roundtrips(policy):
    data = list(images(0))
    whole = filled(data, policy).compute(["source"])
    first, second = filled(data[:4], policy), filled(data[4:], policy)
    # second half travels through JSON as it would through all_gather between workers
    first.merge(Evaluator.from_state_dict(json.loads(json.dumps(second.state_dict()))))
    merged = first.compute(["source"])
    assert json.dumps(merged.metrics, sort_keys=True) == json.dumps(whole.metrics, sort_keys=True)
    assert merged.breakdowns == whole.breakdowns
    pd.testing.assert_frame_equal(merged.per_image, whole.per_image)


def test_merge_refuses_overlap_and_mismatched_policy():
    data = list(images(1, n=3))
    a, b = filled(data), filled(data[:1])
    with pytest.raises(BenchError, match="both"):
        a.merge(b)
    with pytest.raises(BenchError, match="policy"):
        a.merge(filled(data, Policy(pixel_threshold=0.3)))


def test_breakdown_group_equals_evaluator_on_that_group():
    data = list(images(2, n=12))
    result = filled(data).compute(["source"])
    coco = filled([d for d in data if d[3]["source"] == "coco"]).compute().metrics
    group = result.breakdowns["source"]["coco"]
    for key in ("miou", "pixel_acc", "bf1", "iou", "ap", "n_images"):
        assert group[key] == pytest.approx(coco[key], nan_ok=True)
    assert set(result.breakdowns["turns"]) <= {"0", "1", "2"}
    assert sum(g["n_images"] for g in result.breakdowns["area_bin"].values()) == 12
    assert sum(g["n_images"] for g in result.breakdowns["area_quantile"].values()) == result.metrics["n_edited"]
    with pytest.raises(BenchError, match="nope"):
        filled(data).compute(["nope"])


def test_per_image_frame_has_contract_columns():
    df = filled(list(images(3, n=4))).compute().per_image
    for col in ("image_id", "iou", "pbca", "f1", "bf1", "score", "label", "edited_area", "turns", "source"):
        assert col in df.columns
    assert len(df) == 4


def test_sanity_warnings():
    gt_edit = np.zeros((8, 8), np.uint8)
    gt_edit[:4] = 1
    ev = Evaluator("binary", ["unedited", "edited"])
    for i in range(3):
        ev.add(f"e{i}", gt_edit, np.zeros((8, 8), np.float32), score=0.1)
        ev.add(f"r{i}", np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.float32), score=0.9)
    warnings = " | ".join(ev.compute().warnings)
    assert "AUC 0.000 < 0.5" in warnings
    ev2 = Evaluator("binary", ["unedited", "edited"])
    ev2.add("e", gt_edit, np.full((8, 8), 0.7, np.float32))
    ev2.add("f", gt_edit, np.full((8, 8), 0.8, np.float32))
    warnings2 = " | ".join(ev2.compute().warnings)
    assert "no authentic images" in warnings2 and "degenerate positive rate: 100%" in warnings2


def test_image_score_rules_when_no_score_given():
    gt = np.zeros((10, 10), np.uint8)
    prob = np.linspace(0, 1, 100, dtype=np.float32).reshape(10, 10)
    for rule, expected in (("max", 1.0), ("mean", prob.mean()), ("topk_mean:0.1", prob.ravel()[-10:].mean())):
        ev = Evaluator("binary", ["unedited", "edited"], Policy(image_score=rule))
        ev.add("a", gt, prob)
        assert ev.compute().per_image["score"][0] == pytest.approx(expected, rel=1e-6)


def test_policy_from_options_and_to_json():
    p = Policy.from_options({"reduction": "per_image", "empty_union": "0", "bf1_both_empty": "none",
                             "invert_allowed": "true", "border_band": "15,11", "image_score": "topk_mean:0.01"})
    assert p == Policy(reduction="per_image", empty_union=0.0, invert_allowed=True, border_band=(15, 11),
                       image_score="topk_mean:0.01",
                       changed=("border_band", "empty_union", "image_score", "invert_allowed", "reduction"))
    assert Policy.from_options({"preset": "dolos", "empty_union": "1"}) == Policy.preset_policy("dolos")
    both = Policy.from_options({"threshold": "0.3"})
    assert both.pixel_threshold == both.image_threshold == 0.3 and both.changed == ("image_threshold", "pixel_threshold")
    j = p.to_json()
    assert json.loads(json.dumps(j))["border_band"] == [15, 11] and "rules" in j
    bad = [{"colour": "red"}, {"reduction": "median"}, {"threshold": "high"}, {"threshold": "1.5"},
           {"invert_allowed": "maybe"}, {"border_band": "15"}, {"border_band": "a,b"},
           {"image_score": "topk_mean:2"}, {"image_score": "median"}, {"bf1_tolerance": "0"},
           {"preset": "nope"}, {"pixel_compare": "<"}, {"upsample": "cubic"}, {"changed": "x"}]
    for options in bad:
        with pytest.raises(BenchError):
            Policy.from_options(options)


def test_bootstrap_ci_from_evaluator_and_frame():
    ev = filled(list(images(4, n=30)))
    result = ev.compute()
    ci = bootstrap_ci(ev, "miou", n=200, seed=0)
    assert ci["value"] == pytest.approx(result.metrics["miou"])
    assert ci["low"] <= ci["value"] <= ci["high"] and ci["low"] < ci["high"]
    assert bootstrap_ci(ev, "miou", n=200, seed=0) == ci  # seeded
    ci_iou = bootstrap_ci(ev, "iou", n=200)
    assert ci_iou["value"] == pytest.approx(result.metrics["iou"])
    cls = bootstrap_ci(ev, "iou_per_class.flux", n=50)
    assert cls["value"] == pytest.approx(result.metrics["iou_per_class"]["flux"])
    with pytest.raises(BenchError):
        bootstrap_ci(ev, "nonsense", n=5)
