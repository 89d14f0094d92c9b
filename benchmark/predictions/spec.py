"""The predictions format: a folder or `.zip` holding

    manifest.json   task, dataset (and dataset_spec), split, generator map, method, toolkit version,
                    SHA-256 per file
    masks/{id}.png  8-bit grey PNG, any resolution: binary = round(255 * P(edited)), semantic = class id;
                    ids follow `benchmark.datasets.ids` (`/` makes subfolders)
    masks.json      (instead of masks/, binary only) COCO-style RLE list [{"image_id", "segmentation"}]
    scores.csv      optional: image_id,score image-level probabilities (further columns are ignored)

`bench predict` writes it (`writer.write_predictions`), external detectors with `bench pack`, and
the scorer and the leaderboard read it (`reader.Predictions`). This module holds the format's names
and fields only.
"""
from __future__ import annotations

from typing import Iterable

SCHEMA = "bench.predictions/1"
MANIFEST = "manifest.json"
SCORES = "scores.csv"
RLE = "masks.json"
MASK_DIR = "masks/"
REQUIRED = ("task", "dataset", "split", "generators", "method", "files")
# The format's own fields, and the optional ones it defines (what `bench predict` and `bench pack`
# record about the method). Any other key is ignored: nothing else from a manifest reaches a result.
OWN_FIELDS = REQUIRED + ("schema", "toolkit_version", "dataset_spec", "distortion")
EXTRA_FIELDS = {"baseline": str, "train_dataset_spec": str, "train_generators": list, "holdout_generators": list,
                "size": int, "score_rule": str, "checkpoint": str, "explanation": str, "experiment_run": str}
TEXT_FIELDS = ("task", "dataset", "dataset_spec", "split", "method", "schema", "toolkit_version", "distortion")


def generator_map(generators: Iterable[str]) -> dict[str, str]:
    """The manifest's generator map: class id (as text) -> name, 0 being unedited."""
    return {"0": "unedited", **{str(i): name for i, name in enumerate(generators, 1)}}
