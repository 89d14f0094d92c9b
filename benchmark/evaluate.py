"""`bench eval`: predict with a checkpoint under each distortion of a sweep, score each, then one
table and a robustness plot. Layout of the output folder:

    predictions/{distortion}.zip   the predictions format, one per distortion
    results/{distortion}.json      bench score's result, one per distortion
    robustness_{metric}.png        metric vs distortion parameter (when a distortion is swept)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from benchmark.errors import BenchError

TABLE_METRICS = {"binary": ["miou", "f1", "bf1", "pixel_auc", "auc", "ap"],
                 "semantic": ["miou", "miou_with_bg", "pixel_acc", "bf1"]}


def parse_sweep(text: str | None) -> list[str]:
    """`clean,jpeg80,jpeg60` -> canonical specs in order, duplicates dropped; a chain uses '+'."""
    from benchmark.distortions.base import canonical

    specs = [canonical(part) for part in (text or "clean").split(",") if part.strip()]
    return list(dict.fromkeys(specs)) or ["clean"]


def evaluate(checkpoint: str | os.PathLike, dataset: str, root: str | os.PathLike, split: str,
             out_dir: str | os.PathLike, distortions: Sequence[str], policy=None, batch_size: int = 8,
             workers: int = 0, device: str | None = None, progress: bool = True) -> dict:
    """Returns {'results': [paths], 'table': rendered rich table, 'plot': path or None}."""
    from benchmark.plots import plot_robustness
    from benchmark.predict import predict_split
    from benchmark.results import write_result
    from benchmark.scoring import score_predictions
    from benchmark.tables import build_grid, render

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BenchError(f"{out}: output folder exists and is not empty (nothing is overwritten; pick a new folder)")
    (out / "predictions").mkdir(parents=True)
    results, paths = [], []
    for spec in distortions:
        preds = predict_split(checkpoint, dataset, root, split, out / "predictions" / f"{spec}.zip",
                              distortion=spec, batch_size=batch_size, workers=workers, device=device,
                              progress=progress)
        result = score_predictions(preds, dataset, root, split, policy, workers=1, progress=progress)
        paths.append(str(write_result(result, out / "results" / f"{spec}.json")))
        results.append(result)
    metrics = [m for m in TABLE_METRICS[results[0]["task"]] if m in results[0]["metrics"]]
    table = render(build_grid(results, "distortion", "metric", metrics, paths=paths), "rich")
    plot = None
    if any(spec != "clean" for spec in distortions):
        plot, _ = plot_robustness(results, "miou", out / "robustness_miou.png", paths=paths)
    return {"results": paths, "table": table, "plot": str(plot) if plot else None}
