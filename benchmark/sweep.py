"""`bench eval`: one checkpoint over a sweep of distortions, predicted and scored in one pass, then
one table and a robustness plot. Layout of the output folder:

    predictions/{distortion}.zip   the predictions format, one per distortion
    results/{distortion}.json      bench score's result, one per distortion
    robustness_{metric}.png        miou (ap for image-level models) vs distortion parameter

The model is loaded once and the split indexed once; loader workers decode each image once and
distort and resize it for every distortion, with its mask from the same decoding; each
distortion's predictions are encoded, written and scored in a thread of their own while the model
runs. The files are byte for byte those of `bench predict` then `bench score` per distortion.
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


def sweep(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
          out_dir: str | os.PathLike, distortions: Sequence[str], policy=None, batch_size: int = 8,
          workers: int | None = None, device: str | None = None, progress: bool = True,
          explain: str | None = None, breakdown_keys: Sequence[str] = (), audit_format: bool = False,
          experiment_run: str | None = None) -> dict:
    """Predict and score `split` of the dataset spec `dataset` under each distortion. With
    `audit_format`, every result also reports how well the file encoding alone (format, JPEG
    quality) separates the split's real and edited images, beside what the model reaches.
    `workers`: loader processes (default: `inference.default_workers`). Returns {'results':
    [paths], 'table': rendered rich table, 'plot': path or None}."""
    from benchmark.distortions.base import canonical
    from benchmark.inference import child_context, default_workers, model_outputs
    from benchmark.metrics.policy import Policy
    from benchmark.outputs import check_new, new_folder
    from benchmark.predict import load_for_split, predictions_job
    from benchmark.sink import Sink, batch_message

    distortions = list(dict.fromkeys(canonical(d) for d in distortions)) or ["clean"]
    policy = policy or Policy()
    check_new(out_dir, folder=True)  # before the model runs, so that no work is lost on a taken path
    sinks = [Sink(child_context()) for _ in distortions]
    try:
        checkpoint, model, cfg, spec, adapter = load_for_split(checkpoint, dataset, root, split, device, explain)
        out = new_folder(out_dir)
        (out / "predictions").mkdir()
        audit = _format_audit(spec, root, split, progress) if audit_format else None
        for sink, d in zip(sinks, distortions):
            sink.start(predictions_job(out / "predictions" / f"{d}.zip", model, cfg, checkpoint, spec, adapter, d,
                                       explain, experiment_run, result=str(out / "results" / f"{d}.json"),
                                       policy=policy, expected_ids=adapter.ids,
                                       breakdown_keys=tuple(breakdown_keys), audit=audit))
        digests: list[tuple[str, str]] = []
        for batch in model_outputs(model, cfg, adapter, distortions, 0, batch_size,
                                   default_workers() if workers is None else workers, progress, targets=True):
            digests += zip(batch.image_ids, batch.targets["digests"])
            for sink, (maps, scores) in zip(sinks, batch.outputs):
                sink.put(batch_message(batch.image_ids, maps, scores, batch.targets))
        outcomes = [sink.close(digests) for sink in sinks]
    except BaseException:
        for sink in sinks:
            sink.abandon()
        raise
    return _report(out, distortions, [str(out / "results" / f"{d}.json") for d in distortions],
                   [result for _, result in outcomes])


def _report(out, distortions: list[str], paths: list[str], results: list[dict]) -> dict:
    """The distortion × metric table and the robustness plot of the results written."""
    from benchmark.plots import plot_robustness
    from benchmark.tables import build_grid, render

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
