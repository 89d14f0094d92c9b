"""The reference projects' own code, as their authors published it on PyPI (pinned in
tests/reference-code.txt, installed without dependencies), loaded module by module.

Only the module that holds a rule is executed, from the installed file, unchanged: a package's
`__init__` that would import the rest of the project (IMDL-BenCo's model zoo, which pins numpy < 2
and albumentations 1.3; MMSegmentation's mmcv version check) is bypassed by registering the
packages on the module's path as bare namespaces.

| project | package (licence) | module |
|---|---|---|
| DAVIS 2017 | esdft-segmetric 0.1.0 (BSD-3-Clause): `segmetric/metrics.py` is davisvideochallenge/davis2017-evaluation `davis2017/metrics.py` with `np.bool` written `bool` (numpy >= 1.24 removed the alias); nothing else differs | `segmetric.metrics` |
| MMSegmentation 1.x | mmsegmentation 1.2.2 (Apache-2.0) | `mmseg.evaluation.metrics.iou_metric` |
| IMDL-BenCo | imdlbenco 0.1.45 (CC-BY-4.0) | `IMDLBenCo.evaluation.F1`, `.IOU`, `IMDLBenCo.training_scripts.utils.misc` |

DOLOS (bit-ml/dolos) is not published as a package; its rules stay transcribed in
tests/reference_scorers.py.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from importlib import metadata
from pathlib import Path

INSTALL = "pip install --no-deps -r tests/reference-code.txt"


def load(distribution: str, module: str) -> types.ModuleType:
    """`module` (dotted) from the installed `distribution`, its parent packages left uninitialised."""
    if module in sys.modules:
        return sys.modules[module]
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise RuntimeError(f"the reference code of {distribution} is not installed: {INSTALL}") from None
    parts = module.split(".")
    root = Path(dist.locate_file(""))
    for i in range(1, len(parts)):
        name = ".".join(parts[:i])
        if name not in sys.modules:
            pkg = types.ModuleType(name)
            pkg.__path__ = [str(root.joinpath(*parts[:i]))]
            sys.modules[name] = pkg
    path = root.joinpath(*parts[:-1], parts[-1] + ".py")
    spec = importlib.util.spec_from_file_location(module, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    spec.loader.exec_module(mod)
    return mod


def davis_metrics() -> types.ModuleType:
    return load("esdft-segmetric", "segmetric.metrics")


def mmseg_iou_metric() -> types.ModuleType:
    return load("mmsegmentation", "mmseg.evaluation.metrics.iou_metric")


def imdlbenco_f1() -> types.ModuleType:
    return load("imdlbenco", "IMDLBenCo.evaluation.F1")


def imdlbenco_iou() -> types.ModuleType:
    return load("imdlbenco", "IMDLBenCo.evaluation.IOU")


def imdlbenco_misc() -> types.ModuleType:
    return load("imdlbenco", "IMDLBenCo.training_scripts.utils.misc")


def mmseg_areas_and_metrics(preds, labels, class_names) -> tuple[dict, dict]:
    """MMSegmentation's IoUMetric over (pred, label) int64 maps: `process` on each image, areas
    summed as `compute_metrics` sums them, then `total_area_to_metrics` on float64 totals (the
    counts are exact integers in its float32 histc; only the division's precision would differ)
    and `compute_metrics`' own rounded summary."""
    import numpy as np
    import torch

    metric = mmseg_iou_metric().IoUMetric(ignore_index=255, iou_metrics=["mIoU"])
    metric.dataset_meta = {"classes": list(class_names)}
    for pred, label in zip(preds, labels):
        metric.process([], [{"pred_sem_seg": {"data": torch.as_tensor(np.asarray(pred, np.int64))[None]},
                             "gt_sem_seg": {"data": torch.as_tensor(np.asarray(label, np.int64))[None]}}])
    totals = [sum(col) for col in zip(*metric.results)]
    exact = metric.total_area_to_metrics(*(t.double() for t in totals), ["mIoU"])
    return exact, metric.compute_metrics(metric.results)


def mmseg_two_class_prediction(prob):
    """MMSegmentation's prediction of a two-class head: argmax over (1 - p, p), ties to class 0."""
    import torch

    p = torch.as_tensor(prob)
    return torch.stack([1 - p, p]).argmax(0).numpy()


def imdlbenco_pixel_f1_iou(prob, edited) -> tuple[float, float]:
    """IMDL-BenCo's PixelF1 and PixelIOU (threshold 0.5, mode 'origin') of one image: the
    prediction as a float32 tensor, the mask as the float64 tensor its dataset yields."""
    import numpy as np
    import torch

    predict = torch.as_tensor(np.asarray(prob, np.float32))[None, None]
    mask = torch.as_tensor(np.asarray(edited) * 1.0)[None, None]
    f1 = imdlbenco_f1().PixelF1(threshold=0.5, mode="origin").batch_update(predict, mask)
    iou = imdlbenco_iou().PixelIOU(threshold=0.5, mode="origin").batch_update(predict, mask)
    return f1.item(), iou.item()


def imdlbenco_mean(values) -> float:
    """The tester's average: SmoothedValue fed each batch's sum with its image count."""
    meter = imdlbenco_misc().SmoothedValue()
    for v in values:
        meter.update(float(v), n=1)
    return meter.global_avg
