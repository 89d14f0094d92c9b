"""Result files (`SCHEMA`, `bench.result/2`): one JSON per scored run, self-describing enough that tables
and plots are built from these files alone and that numbers under different policies never mix
silently."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from benchmark import __version__
from benchmark.jsonfiles import read_schema_json
from benchmark.outputs import new_file

SCHEMA = "bench.result/2"
OWN_FIELDS = ("schema", "dataset", "dataset_spec", "split", "task", "method", "distortion", "policy",
              "provenance", "submission", "metrics", "n_images", "breakdowns", "warnings", "audit")


def jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays unwrapped, NaN and inf written as null."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "to_dict"):  # pandas objects in breakdowns
        return jsonable(value.to_dict())
    return value


def library_versions() -> dict[str, str]:
    import cv2
    import PIL

    return {"bench": __version__, "numpy": np.__version__, "opencv": cv2.__version__, "pillow": PIL.__version__}


def provenance(distortion: Mapping, split_manifest_hash: str) -> dict:
    """Where a result comes from, kept apart from the scoring rules: versions, the hash of the split's
    ids and truth, the distortion's library versions."""
    versions = library_versions()
    return {"scorer_version": versions["bench"], "library_versions": versions,
            "split_manifest_hash": split_manifest_hash,
            **{k: v for k, v in distortion.items() if k != "distortion"}}


def build_result(*, dataset, split: str, task: str, method: str, distortion: str, policy: Mapping,
                 provenance: Mapping, metrics: Mapping, breakdowns: Mapping, n_images: int,
                 warnings: list[str], submission: Mapping | None = None) -> dict:
    """Assemble a result. `dataset` is the DatasetSpec scored against; `submission` describes the
    predictions (manifest hash and the training facts their manifest carries, e.g.
    train_generators), kept in its own block so it can never pass for a scoring rule."""
    return jsonable({"schema": SCHEMA, "dataset": dataset.name, "dataset_spec": str(dataset), "split": split,
                     "task": task, "method": method, "distortion": distortion, "policy": dict(policy),
                     "provenance": dict(provenance), "submission": dict(submission or {}),
                     "metrics": dict(metrics), "n_images": int(n_images), "breakdowns": dict(breakdowns),
                     "warnings": list(warnings)})


def result_text(result: Mapping) -> str:
    """The text of a result file: the leaderboard stores and hashes these very bytes."""
    return json.dumps(jsonable(result), indent=1) + "\n"


def write_result(result: Mapping, path: str | os.PathLike) -> Path:
    path = new_file(path)
    path.write_text(result_text(result))
    return path


def read_result(path: str | os.PathLike) -> dict:
    return read_schema_json(path, SCHEMA, "a result file")


def field(result: Mapping, key: str) -> Any:
    """A result's value for a table/plot key: its own field, else a policy, provenance or
    submission field, else None."""
    if key in result:
        return result[key]
    for block in ("policy", "provenance", "submission"):
        if key in result.get(block, {}):
            return result[block][key]
    return None


def label(value: Any) -> str:
    """Text of a key value in tables and legends (lists such as train_generators joined by '+')."""
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return "+".join(map(str, value))
    return str(value)
