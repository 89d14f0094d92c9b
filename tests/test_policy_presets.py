"""Each policy preset equals its project's own rule, on hand cases that separate the rules: objects
on the image border, shifts of a fraction of the tolerance, empty GT / empty prediction / both
empty, probabilities exactly at the threshold, void pixels and non-square images. The expected
values come from the projects' own code (tests/reference_code.py) or, for DOLOS, which publishes
none, from the transcription in tests/reference_scorers.py. tests/test_presets_reference_code.py
runs the same references on demo predictions of every dataset."""
import warnings

import numpy as np
import pytest
import reference_code
import reference_scorers as ref

from benchmark.metrics import Evaluator, Policy
from benchmark.scoring import prediction_at

H, W = 200, 320  # non-square; DAVIS tolerance ceil(0.008 * 377.4) = 4 px, DiffSeg30k's 0.0075 * 377.4 = 2.83 px


def rect(y0, y1, x0, x1, h=H, w=W):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def shifted(mask, dy, dx):
    return np.roll(np.roll(mask, dy, 0), dx, 1)


def cases():
    """(name, GT label map, P(edited) map) that separate the presets' rules."""
    obj = rect(60, 140, 100, 220)
    border = rect(0, 90, 0, 150)  # touches the top and left image border
    yield "object on the image border", border.astype(np.uint8), shifted(border, 2, 2).astype(np.float32) * 0.9
    yield "shift of 3 px (inside DAVIS' 4, outside 2.83)", obj.astype(np.uint8), shifted(obj, 3, 0).astype(np.float32)
    yield "shift of 4 px (DAVIS' ceil rule)", obj.astype(np.uint8), shifted(obj, 0, 4).astype(np.float32)
    yield "shift of 2 px diagonally", obj.astype(np.uint8), shifted(obj, 2, 2).astype(np.float32) * 0.7
    yield "empty GT, empty prediction", np.zeros((H, W), np.uint8), np.zeros((H, W), np.float32)
    yield "empty GT, false alarm", np.zeros((H, W), np.uint8), rect(10, 30, 10, 40).astype(np.float32)
    yield "missed edit (empty prediction)", obj.astype(np.uint8), np.zeros((H, W), np.float32)
    at = np.where(obj, np.float32(0.5), np.float32(0.2)).astype(np.float32)
    at[60:100, 100:160] = 0.75
    yield "probabilities exactly at the threshold", obj.astype(np.uint8), at
    full = np.ones((H, W), np.uint8)
    yield "whole image edited", full, np.ones((H, W), np.float32)


def evaluate(preset, items, task="binary", classes=("unedited", "edited")):
    ev = Evaluator(task, list(classes), Policy.preset_policy(preset))
    for i, (_, gt, pred) in enumerate(items):
        ev.add(str(i), gt, pred)
    return ev.compute()


CASES = list(cases())
NAMES = [c[0] for c in CASES]


def davis_f_j(gt, pred, void=None):
    davis = reference_code.davis_metrics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # db_eval_iou divides 0 by 0 before its isclose rule
        return davis.db_eval_boundary(gt, pred, void), davis.db_eval_iou(gt, pred, void)


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_davis_boundary_f_and_j_per_image(case):
    _, gt, prob = case
    res = evaluate("davis", [case])
    f, j = davis_f_j(gt > 0, prob > 0.5)
    assert res.per_image["bf1"][0] == pytest.approx(f, abs=1e-12)
    assert res.per_image["iou"][0] == pytest.approx(j, abs=1e-12)


def test_davis_tolerance_is_a_disk_of_radius_ceil():
    """DAVIS dilates by skimage's disk(r), r = ceil(0.008 * diagonal): offsets with dy² + dx² <= r².
    Corners moved by (4, 1) lie at sqrt(17) = 4.12 > 4 px: not matched, though within 4.5."""
    obj = rect(60, 140, 100, 220)
    case = ("moved by (4, 1)", obj.astype(np.uint8), shifted(obj, 4, 1).astype(np.float32))
    f, _ = davis_f_j(obj, shifted(obj, 4, 1))
    assert f < 1 and evaluate("davis", [case]).per_image["bf1"][0] == pytest.approx(f, abs=1e-12)


def test_davis_void_pixels_and_split_means():
    obj = rect(60, 140, 100, 220)
    void = rect(50, 150, 200, 260)  # a void band across the object's right edge
    gt = obj.astype(np.uint8)
    gt[void] = 255
    prob = shifted(obj, 1, 3).astype(np.float32)
    res = evaluate("davis", [("void", gt, prob)] + CASES)
    f, j = zip(*([davis_f_j(obj, prob > 0.5, void)] + [davis_f_j(g > 0, p > 0.5) for _, g, p in CASES]))
    assert res.per_image["bf1"][0] == pytest.approx(f[0], abs=1e-12)
    assert res.metrics["bf1"] == pytest.approx(np.mean(f), abs=1e-12)
    assert res.metrics["iou"] == pytest.approx(np.mean(j), abs=1e-12)
    # the default (Csurka, 0.75 %, border is boundary) differs on these cases: the presets are not alike
    assert evaluate("diffseg", CASES).metrics["bf1"] != pytest.approx(res.metrics["bf1"])


def dolos_cases():
    """Low-resolution DOLOS-style maps (values k/255, so the stored uint8 is exact) and 64x64 GTs."""
    rng = np.random.default_rng(0)
    gt_obj = rect(8, 40, 0, 30, 64, 64)  # on the left border
    for name, gt in (("object on the border", gt_obj), ("empty GT", np.zeros((64, 64), bool))):
        for size in (19, 37):
            k = rng.integers(0, 256, (size, size))
            k[k == 128] = 127
            yield f"{name}, {size}x{size} map", gt, k
    k = np.zeros((19, 19), int)
    yield "empty GT, empty prediction", np.zeros((64, 64), bool), k
    yield "missed edit", gt_obj, k


@pytest.mark.parametrize("case", list(dolos_cases()), ids=[c[0] for c in dolos_cases()])
def test_dolos_upsampling_threshold_iou_and_accuracy(case):
    _, gt, k = case
    stored = k.astype(np.uint8)
    policy = Policy.preset_policy("dolos")
    prob = prediction_at(stored, "binary", gt.shape, upsample=policy.upsample)
    ev = Evaluator("binary", ["unedited", "edited"], policy)
    ev.add("x", gt.astype(np.uint8), prob, label=1)
    row = ev.compute().per_image.iloc[0]
    want = ref.dolos_evaluate1(k / 255.0, gt.astype(float))
    assert row["iou"] == pytest.approx(want["iou-lg"], abs=1e-12)
    assert row["pbca"] == pytest.approx(want["accuracy-lg"], abs=1e-12)


def test_dolos_split_mean_and_non_square_orientation():
    items = list(dolos_cases())
    policy = Policy.preset_policy("dolos")
    ev = Evaluator("binary", ["unedited", "edited"], policy)
    for i, (_, gt, k) in enumerate(items):
        ev.add(str(i), gt.astype(np.uint8), prediction_at(k.astype(np.uint8), "binary", gt.shape,
                                                          upsample=policy.upsample), label=1)
    want = ref.dolos_evaluate([ref.dolos_evaluate1(k / 255.0, gt.astype(float)) for _, gt, k in items])
    m = ev.compute().metrics
    assert 100 * m["iou"] == pytest.approx(want["iou-lg"], abs=1e-9)
    assert 100 * m["pbca"] == pytest.approx(want["accuracy-lg"], abs=1e-9)
    # DOLOS hands numpy's (H, W) to PIL's (width, height): its code only works on square images.
    assert ref.dolos_upsample(np.zeros((4, 4)), (40, 60)).shape == (60, 40)
    assert prediction_at(np.zeros((4, 4), np.uint8), "binary", (40, 60), upsample="pil_bicubic").shape == (40, 60)


def test_mmseg_aacc_and_miou_with_background():
    binary = evaluate("mmseg", CASES)
    # MMSeg argmax over (P(unedited), P(edited)): ties go to background, so a pixel at exactly 0.5 is not edited
    preds = [reference_code.mmseg_two_class_prediction(p) for _, _, p in CASES]
    want, _ = reference_code.mmseg_areas_and_metrics(preds, [g for _, g, _ in CASES], ["unedited", "edited"])
    assert binary.metrics["miou"] == pytest.approx(float(np.nanmean(want["IoU"])), abs=1e-12)
    assert binary.metrics["pixel_acc"] == pytest.approx(float(want["aAcc"]), abs=1e-12)
    # semantic, with ignored pixels and a class absent from the whole split (NaN, left out of the mean)
    rng = np.random.default_rng(1)
    gts, pds = [], []
    for _ in range(4):
        g = rng.integers(0, 3, (30, 50)).astype(np.uint8)
        g[:5] = 255
        gts.append(g)
        pds.append(np.where(rng.random((30, 50)) < 0.7, np.where(g == 255, 0, g), rng.integers(0, 3, (30, 50))).astype(np.uint8))
    names = ("unedited", "a", "b", "never")
    sem = evaluate("mmseg", [("s", g, p) for g, p in zip(gts, pds)], "semantic", names)
    want, _ = reference_code.mmseg_areas_and_metrics(pds, gts, names)
    assert np.isnan(want["IoU"][3])
    assert sem.metrics["miou"] == pytest.approx(float(np.nanmean(want["IoU"])), abs=1e-12)
    assert sem.metrics["pixel_acc"] == pytest.approx(float(want["aAcc"]), abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_imdlbenco_pixel_f1_and_iou_per_image(case):
    _, gt, prob = case
    res = evaluate("imdlbenco", [case])
    f1, iou = reference_code.imdlbenco_pixel_f1_iou(prob, gt > 0)
    assert res.per_image["f1"][0] == pytest.approx(f1, abs=1e-12)
    assert res.per_image["iou"][0] == pytest.approx(iou, abs=1e-12)


def test_imdlbenco_mean_over_every_image():
    res = evaluate("imdlbenco", CASES)
    f1, iou = zip(*(reference_code.imdlbenco_pixel_f1_iou(p, g > 0) for _, g, p in CASES))
    assert res.metrics["f1"] == pytest.approx(reference_code.imdlbenco_mean(f1), abs=1e-12)
    assert res.metrics["iou"] == pytest.approx(reference_code.imdlbenco_mean(iou), abs=1e-12)
    # the DOLOS rule (empty union = 1, edited images only) gives other numbers on the same cases
    assert evaluate("dolos", CASES).metrics["iou"] != pytest.approx(res.metrics["iou"])


def test_results_name_the_preset():
    assert Policy.from_options({"preset": "davis"}).to_json()["preset"] == "davis"
    changed = Policy.from_options({"preset": "davis", "pixel_threshold": "0.3"}).to_json()
    assert changed["preset"] == "davis" and changed["changed"] == ["pixel_threshold"]


def test_dolos_preset_reports_the_balanced_detection_ap_of_dolos(demo_roots, tmp_path):
    """Scored end to end on the DOLOS demo's test split (reals and every fake): the result's
    ap_balanced is DOLOS's evaluate_detection on the real and fake scores in id order."""
    import json

    from benchmark.cli.main import main
    from benchmark.datasets import DatasetSpec
    from benchmark.predictions import write_predictions

    adapter = DatasetSpec.of("dolos").build(demo_roots["dolos"], "test")
    rng = np.random.default_rng(3)
    rows = sorted((t.image_id, t.label, float(rng.random() * 0.7 + 0.3 * t.label)) for t in adapter.targets())
    write_predictions(tmp_path / "sub.zip", "detection", "dolos", "test", adapter.generators, "noisy",
                      scores={i: s for i, _, s in rows})
    assert main(["score", str(tmp_path / "sub.zip"), "--dataset", "dolos", "--root", str(demo_roots["dolos"]),
                 "--policy", "preset=dolos", "--out", str(tmp_path / "r.json"), "--quiet"]) == 0
    metrics = json.loads((tmp_path / "r.json").read_text())["metrics"]
    mean, two_std = ref.dolos_evaluate_detection([s for _, lab, s in rows if lab == 0], [s for _, lab, s in rows if lab == 1])
    assert metrics["ap_balanced_n_per_class"] == min(sum(lab == 0 for _, lab, _ in rows), sum(lab for _, lab, _ in rows))
    assert 100 * metrics["ap_balanced"] == pytest.approx(mean) and 100 * metrics["ap_balanced_2std"] == pytest.approx(two_std)
    assert Policy().to_json()["rules"]["ap_balanced"] == "off"  # only the dolos preset computes it
