"""Every policy preset equals its project's own code on demo predictions of every demo dataset.

Each image of every split of each demo dataset (DiffSeg30k, the DOLOS setups, Semi-Truths and
its preset, COCO-Glide) gets one prediction, the kinds taken in turn: the truth shifted, its
generators relabelled, an empty map, a noisy map, and the truth shifted beside a void band added
to the ground truth (for the projects that have a void label). Both tasks are scored where the
project defines them. The reference is the project's code run from its published package
(tests/reference_code.py): DAVIS 2017 `db_eval_boundary`/`db_eval_iou`, MMSegmentation's
`IoUMetric`, IMDL-BenCo's `PixelF1`/`PixelIOU` averaged by its `SmoothedValue`; DOLOS, which
publishes no package, by the transcription in tests/reference_scorers.py; the `diffseg` preset
(the DiffSeg30k protocol) by brute force (sklearn's confusion matrix, boundary distances by cdist).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
import reference_code
import reference_scorers as ref

from benchmark.datasets import DatasetSpec
from benchmark.metrics import Evaluator, Policy
from benchmark.scoring import prediction_at
from benchmark.tasks import IGNORE

SPECS = ["diffseg", "dolos", "dolos[setup=A]", "dolos[setup=B]", "dolos[setup=C]", "semitruths",
         "semitruths[preset=thesis-celebahq]", "cocoglide"]
KINDS = ("shifted", "relabelled", "emptied", "noisy", "void")
TOL = 1e-9


@dataclass
class Case:
    image_id: str
    gt: np.ndarray        # uint8 label map, 255 void
    label: int
    kind: str
    ids: np.ndarray       # uint8 predicted generator ids (semantic)
    stored: np.ndarray    # uint8 P(edited) x 255 at the GT size (binary)
    low: np.ndarray       # uint8 P(edited) x 255 on a coarser square grid (a network's output)

    @property
    def localized(self) -> bool:
        return bool((self.gt != IGNORE).any())


def make_cases(spec_text: str, root, n_gen: int, seed: int = 0) -> list[Case]:
    spec = DatasetSpec.of(spec_text)
    rng = np.random.default_rng(seed)
    cases = []
    for split in spec.splits(root):
        for i, t in enumerate(spec.build(root, split).targets()):
            kind = KINDS[i % len(KINDS)]
            gt = t.mask.copy()
            truth = np.where(gt == IGNORE, 0, gt)
            h, w = gt.shape
            if kind in ("shifted", "void"):
                ids = np.roll(truth, (2, -3), (0, 1))
                if kind == "void" and (gt != IGNORE).any():
                    gt[h // 3: h // 3 + 6] = IGNORE  # a void band across the edit
            elif kind == "relabelled":
                ids = np.where(truth > 0, truth % n_gen + 1, 0)
            elif kind == "emptied":
                ids = np.zeros_like(truth)
            else:
                ids = np.where(rng.random((h, w)) < 0.2, rng.integers(0, n_gen + 1, (h, w)), truth)
            ids = ids.astype(np.uint8)
            edited = (ids > 0) if kind != "relabelled" else (truth > 1)  # binary: generator 1 missed
            prob = np.where(edited, 0.8, 0.15) + (rng.normal(0, 0.3, (h, w)) if kind == "noisy" else 0)
            if kind == "emptied":
                prob = np.zeros((h, w))
            stored = np.clip(np.rint(prob * 255), 0, 255).astype(np.uint8)
            low = cv2.resize(stored, (29, 29), interpolation=cv2.INTER_AREA)
            cases.append(Case(f"{split}/{t.image_id}", gt, t.label, kind, ids, stored, low))
    return cases


@pytest.fixture(scope="module", params=SPECS)
def demo(request, demo_roots):
    spec = DatasetSpec.of(request.param)
    root = demo_roots[spec.name]
    generators = spec.build(root, spec.splits(root)[0]).generators
    return request.param, list(generators), make_cases(request.param, root, len(generators))


def approx(values):
    """pytest.approx to TOL, with NaN (a metric with nothing to score) as the result's None."""
    if np.ndim(values):
        return [approx(v) for v in values]
    return None if np.isnan(values) else pytest.approx(float(values), abs=TOL)


def prob_of(case: Case) -> np.ndarray:
    return prediction_at(case.stored, "binary", case.gt.shape)


def score(preset: str, task: str, generators: list[str], cases: list[Case], prob=prob_of, **changes):
    classes = ["unedited", "edited"] if task == "binary" else ["unedited", *generators]
    ev = Evaluator(task, classes, Policy.preset_policy(preset, **changes), generator_names=generators)
    for c in cases:
        ev.add(c.image_id, c.gt, prob(c) if task == "binary" else c.ids, label=c.label)
    return ev.compute()


def objects(task: str, case: Case, n_gen: int):
    """(GT mask, predicted mask) of each object: the edited region, or each generator class."""
    if task == "binary":
        yield (case.gt > 0) & (case.gt != IGNORE), prob_of(case) > 0.5
    else:
        for c in range(1, n_gen + 1):
            yield case.gt == c, case.ids == c


# -- DAVIS 2017 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["binary", "semantic"])
def test_davis_preset_is_davis2017_metrics(demo, task):
    """Each class an object, each localized image a frame, void the ignore label: J and F per
    object and frame by davis2017/metrics.py, per-object means over frames, mean over objects."""
    davis = reference_code.davis_metrics()
    _, generators, cases = demo
    frames = [c for c in cases if c.localized]
    n_obj = 1 if task == "binary" else len(generators)
    J, F = np.zeros((n_obj, len(frames))), np.zeros((n_obj, len(frames)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # db_eval_iou divides 0 by 0 before its isclose rule
        for k, c in enumerate(frames):
            void = c.gt == IGNORE
            for o, (gt, pred) in enumerate(objects(task, c, len(generators))):
                J[o, k] = davis.db_eval_iou(gt, pred, void)
                F[o, k] = davis.db_eval_boundary(gt, pred, void)
    m = score("davis", task, generators, cases).metrics
    assert m["bf1"] == approx(F.mean(1).mean()) and m["miou"] == approx(J.mean(1).mean())
    if task == "binary":
        assert m["iou"] == approx(J.mean())
    else:
        assert [m["iou_per_class"][g] for g in generators] == approx(J.mean(1))


# -- MMSegmentation IoUMetric -------------------------------------------------------------------
@pytest.mark.parametrize("task", ["binary", "semantic"])
def test_mmseg_preset_is_mmsegmentation_iou_metric(demo, task):
    """IoUMetric on every image (binary: the argmax of (1 - p, p), as a two-class head predicts),
    background included, areas summed over the split."""
    _, generators, cases = demo
    names = ["unedited", "edited"] if task == "binary" else ["unedited", *generators]
    if task == "binary":
        preds = [reference_code.mmseg_two_class_prediction(prob_of(c)) for c in cases]
        labels = [np.where(c.gt == IGNORE, IGNORE, c.gt > 0) for c in cases]
    else:
        preds, labels = [c.ids for c in cases], [c.gt for c in cases]
    want, summary = reference_code.mmseg_areas_and_metrics(preds, labels, names)
    m = score("mmseg", task, generators, cases).metrics
    assert m["pixel_acc"] == approx(want["aAcc"])
    assert [m["iou_per_class"][n] for n in names] == approx(want["IoU"])
    assert m["miou"] == approx(np.nanmean(want["IoU"]))
    assert round(100 * m["miou"], 2) == pytest.approx(summary["mIoU"], abs=0.011)  # MMSeg rounds float32 means


# -- IMDL-BenCo PixelF1 / PixelIOU --------------------------------------------------------------
def test_imdlbenco_preset_is_imdlbenco_pixel_f1_and_iou(demo):
    """PixelF1 and PixelIOU (threshold 0.5, mode 'origin') on one image at a time, predictions
    as float32 and the mask as the float64 tensor IMDL-BenCo's dataset yields, averaged by
    SmoothedValue as its tester does, over every image with a mask."""
    _, generators, cases = demo
    cases = [c for c in cases if c.kind != "void"]  # IMDL-BenCo has no void label
    per_image = {c.image_id: reference_code.imdlbenco_pixel_f1_iou(prob_of(c), c.gt > 0) for c in cases if c.localized}
    res = score("imdlbenco", "binary", generators, cases)
    rows = res.per_image.set_index("image_id")
    for image_id, (f1, iou) in per_image.items():
        assert rows.loc[image_id, "f1"] == approx(f1) and rows.loc[image_id, "iou"] == approx(iou)
    assert res.metrics["f1"] == approx(reference_code.imdlbenco_mean(f for f, _ in per_image.values()))
    assert res.metrics["iou"] == approx(reference_code.imdlbenco_mean(i for _, i in per_image.values()))


# -- DOLOS evaluate_localisation ----------------------------------------------------------------
def test_dolos_preset_is_dolos_evaluate_localisation(demo):
    """DOLOS's evaluate1 on the network-resolution map of each edited image with a mask (PIL
    bicubic to the GT size, `> 0.5`, IoU with empty union 1, pixel accuracy), 100 x mean. DOLOS
    hands numpy's (H, W) to PIL's (width, height): its code only runs on square images."""
    _, generators, cases = demo
    cases = [c for c in cases if c.kind != "void" and c.gt.shape[0] == c.gt.shape[1]]
    policy = Policy.preset_policy("dolos")
    res = score("dolos", "binary", generators, cases,
                prob=lambda c: prediction_at(c.low, "binary", c.gt.shape, upsample=policy.upsample))
    scored = [c for c in cases if c.label == 1 and c.localized]
    if not scored:
        assert res.metrics["iou"] is None
        return
    want = ref.dolos_evaluate([ref.dolos_evaluate1(c.low / 255.0, ((c.gt > 0) & (c.gt != IGNORE)).astype(float))
                               for c in scored])
    assert res.metrics["iou"] == approx(want["iou-lg"] / 100) and res.metrics["pbca"] == approx(want["accuracy-lg"] / 100)


# -- DiffSeg30k protocol ------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["binary", "semantic"])
def test_diffseg_preset_is_the_diffseg30k_protocol(demo, task):
    """One confusion matrix over the split's non-void pixels (sklearn), IoU per class, mIoU over
    the generator classes; boundary F1 per class (Csurka boundaries, distance < 0.75 % of the
    diagonal, predicted boundary in void dropped) by brute force, classes absent from both maps
    and images with no class left out."""
    from sklearn.metrics import confusion_matrix

    _, generators, cases = demo
    n = 2 if task == "binary" else len(generators) + 1
    conf = np.zeros((n, n), np.int64)
    per_image_bf = []
    for c in cases:
        if not c.localized:
            continue
        keep = c.gt != IGNORE
        gt = np.where(c.gt > 0, 1, 0) if task == "binary" else c.gt
        pred = (prob_of(c) > 0.5).astype(np.uint8) if task == "binary" else c.ids
        conf += confusion_matrix(gt[keep], pred[keep], labels=range(n))
        theta = 0.0075 * np.hypot(*c.gt.shape)
        fs = [ref.csurka_bf(g, p, theta, ~keep) for g, p in objects(task, c, len(generators))]
        fs = [f for f in fs if not np.isnan(f)]
        if fs:
            per_image_bf.append(np.mean(fs))
    inter = np.diag(conf).astype(float)
    with np.errstate(invalid="ignore"):
        iou = inter / (conf.sum(0) + conf.sum(1) - inter)
    m = score("diffseg", task, generators, cases).metrics
    assert m["pixel_acc"] == approx(inter.sum() / conf.sum())
    assert m["miou"] == approx(np.nanmean(iou[1:]) if np.isfinite(iou[1:]).any() else np.nan)
    assert m["miou_with_bg"] == approx(np.nanmean(iou))
    assert m["bf1"] == approx(np.mean(per_image_bf) if per_image_bf else np.nan)
