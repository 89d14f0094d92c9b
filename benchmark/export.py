"""`bench data export`: a split as plain PNG files (optionally distorted) for detectors outside the
toolkit, and optionally its ground truth in the predictions' mask encoding, so that
export -> run any detector -> `bench pack` -> `bench score` works on any split, clean or distorted."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from benchmark import __version__
from benchmark.datasets.ids import write_id_file
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import BenchError, DataError
from benchmark.outputs import new_folder

_WORKER: dict[str, Any] = {}


def gt_as_prediction(mask: np.ndarray, task: str, n_generators: int) -> np.ndarray:
    """A GT label map in the predictions' encoding: binary 255 = edited; semantic class ids.
    Ignored pixels (255) become 0: the scorer ignores them whatever the prediction says."""
    edited = (mask >= 1) & (mask <= n_generators)
    if task == "binary":
        return edited.astype(np.uint8) * 255
    return np.where(edited, mask, 0).astype(np.uint8)


def _init(adapter, out: Path, distortion: str | None, seed: int, task: str | None) -> None:
    cv2.setNumThreads(1)
    _WORKER.update(adapter=adapter, out=out, distortion=distortion, seed=seed, task=task)


def _export_chunk(records: Sequence) -> list[str]:
    from benchmark.datasets.torch_dataset import distort_then_transform
    from benchmark.predictions.codecs import encode_mask_png

    w = _WORKER
    adapter, out, problems = w["adapter"], w["out"], []
    for record in records:
        try:
            sample = adapter.load(record)
        except DataError as exc:
            problems.append(str(exc))
            continue
        image, _ = distort_then_transform(sample.image, sample.image_id, w["distortion"], w["seed"])
        ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        write_id_file(out / "images", sample.image_id, ".png", buf.tobytes())
        if w["task"]:
            mask = gt_as_prediction(sample.mask, w["task"], len(adapter.generators))
            write_id_file(out / "masks", sample.image_id, ".png", encode_mask_png(mask))
    return problems


def export_split(dataset: str | DatasetSpec, root: str | os.PathLike, split: str, out: str | os.PathLike,
                 distortion: str | None = None, with_masks: bool = False, task: str = "semantic",
                 seed: int = 0, workers: int | None = None, progress: bool = True) -> dict:
    """Write `images/{id}.png` (distorted by `distortion`) and, `with_masks`, the GT as
    `masks/{id}.png` in the `task`'s prediction encoding, plus `export.json` (what `bench pack`
    needs). Ids with '/' make subfolders. Returns the export manifest."""
    from benchmark.distortions.base import canonical, describe_distortion
    from benchmark.parallel import run_chunks
    from benchmark.predictions.pack import EXPORT_MANIFEST
    from benchmark.tasks import LOCALIZATION_TASKS

    if task not in LOCALIZATION_TASKS:
        raise BenchError(f"export task '{task}' (masks are written for binary or semantic)")
    distortion = canonical(distortion)
    spec = DatasetSpec.of(dataset)
    adapter = spec.build(root, split)
    out = new_folder(out)
    (out / "images").mkdir()
    if with_masks:
        (out / "masks").mkdir()
    problems: list[str] = []
    init = (adapter, out, distortion, seed, task if with_masks else None)
    for chunk_problems in run_chunks(_export_chunk, adapter.records, workers, _init, init,
                                     f"exporting {len(adapter)} images", progress):
        problems += chunk_problems
    if problems:
        raise BenchError(f"{len(problems)} sample(s) could not be read: " + "; ".join(sorted(problems)[:20]))
    manifest = {"schema": "bench.export/1", "dataset": spec.name, "dataset_spec": str(spec), "split": adapter.split,
                "task": task if with_masks else None, "generators": adapter.generators,
                **describe_distortion(distortion), "seed": seed, "n_images": len(adapter),
                "toolkit_version": __version__}
    (out / EXPORT_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
