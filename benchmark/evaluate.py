"""`bench eval`: predict with a checkpoint under each distortion of a sweep, score each, then one
table and a robustness plot. Layout of the output folder:

    predictions/{distortion}.zip   the predictions format, one per distortion
    results/{distortion}.json      bench score's result, one per distortion
    robustness_{metric}.png        miou (ap for image-level models) vs distortion parameter
"""
from __future__ import annotations

import os
from typing import Sequence


TABLE_METRICS = {"binary": ["miou", "f1", "bf1", "pixel_auc", "auc", "ap"],
                 "semantic": ["miou", "miou_with_bg", "pixel_acc", "bf1"],
                 "detection": ["ap", "auc", "image_acc"]}  # models without maps; the first is plotted


def parse_sweep(text: str | None) -> list[str]:
    """`clean,jpeg80,jpeg60` -> canonical specs in order, duplicates dropped; a chain uses '+'."""
    from benchmark.distortions.base import canonical

    specs = [canonical(part) for part in (text or "clean").split(",") if part.strip()]
    return list(dict.fromkeys(specs)) or ["clean"]


def evaluate(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
             out_dir: str | os.PathLike, distortions: Sequence[str], policy=None, batch_size: int = 8,
             workers: int = 0, device: str | None = None, progress: bool = True, explain: str | None = None,
             breakdown_keys: Sequence[str] = (), audit_format: bool = False, experiment_run: str | None = None) -> dict:
    """Predict and score `split` of the dataset spec `dataset` under each distortion. With
    `audit_format`, every result also reports how well the file encoding alone (format, JPEG
    quality) separates the split's real and edited images, beside what the model reaches. Returns
    {'results': [paths], 'table': rendered rich table, 'plot': path or None}."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.outputs import new_folder
    from benchmark.plots import plot_robustness
    from benchmark.predict import predict_split
    from benchmark.results import write_result
    from benchmark.scoring import score_predictions
    from benchmark.tables import build_grid, render

    spec = DatasetSpec.of(dataset)
    spec.build(root, split)  # a wrong split or option fails before the output folder is made
    out = new_folder(out_dir)
    (out / "predictions").mkdir()
    audit = _format_audit(spec, root, split, progress) if audit_format else None
    results, paths = [], []
    for distortion in distortions:
        preds = predict_split(checkpoint, spec, root, split, out / "predictions" / f"{distortion}.zip",
                              distortion=distortion, batch_size=batch_size, workers=workers, device=device,
                              progress=progress, explain=explain, experiment_run=experiment_run)
        result = score_predictions(preds, spec, root, split, policy, workers=1, progress=progress,
                                   breakdown_keys=breakdown_keys)
        if audit is not None:
            result["audit"] = audit
            result["warnings"].append(f"the file encoding alone separates real from edited images of this split "
                                      f"with {audit['format_only_balanced_accuracy']:.0%} balanced accuracy")
        paths.append(str(write_result(result, out / "results" / f"{distortion}.json")))
        results.append(result)
    metrics = [m for m in TABLE_METRICS[results[0]["task"]] if m in results[0]["metrics"]]
    table = render(build_grid(results, "distortion", "metric", metrics, paths=paths), "rich")
    plot = None
    if any(d != "clean" for d in distortions):
        metric = TABLE_METRICS[results[0]["task"]][0]
        plot, _ = plot_robustness(results, metric, out / f"robustness_{metric}.png", paths=paths)
    return {"results": paths, "table": table, "plot": str(plot) if plot else None}


def _format_audit(spec, root, split: str, progress: bool) -> dict:
    from benchmark.datacheck import check_dataset, format_only_accuracy

    report = check_dataset(spec, str(root), [split], progress=progress)
    real, edited = report.encodings["real"], report.encodings["edited"]
    return {"format_only_balanced_accuracy": format_only_accuracy(real, edited),
            "encodings": {"real": dict(real.most_common()), "edited": dict(edited.most_common())}}
