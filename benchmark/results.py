"""Result files (`bench.result/1`): one JSON per scored run, self-describing enough that tables
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
from benchmark.errors import BenchError, DataError

SCHEMA = "bench.result/1"
OWN_FIELDS = ("schema", "dataset", "split", "task", "method", "distortion", "policy", "metrics",
              "n_images", "breakdowns", "warnings")


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


def build_result(*, dataset: str, split: str, task: str, method: str, distortion: str,
                 policy: Mapping, metrics: Mapping, breakdowns: Mapping, n_images: int,
                 warnings: list[str], extra: Mapping | None = None) -> dict:
    """Assemble a result. `extra` (training info from the predictions' manifest, e.g.
    train_generators) goes to the top level so tables can use it as a row or column key."""
    result = {"schema": SCHEMA, "dataset": dataset, "split": split, "task": task, "method": method,
              "distortion": distortion}
    result.update({k: v for k, v in (extra or {}).items() if k not in OWN_FIELDS})
    result.update({"policy": dict(policy), "metrics": dict(metrics), "n_images": int(n_images),
                   "breakdowns": dict(breakdowns), "warnings": list(warnings)})
    return jsonable(result)


def write_result(result: Mapping, path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.exists():
        raise BenchError(f"{path}: already exists (nothing is overwritten; pick a new path)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(result), indent=1) + "\n")
    return path


def read_result(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        result = json.loads(path.read_text())
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise DataError(str(path), f"not valid JSON ({exc})") from None
    if not isinstance(result, dict) or result.get("schema") != SCHEMA:
        raise DataError(str(path), f"not a result file (expected schema {SCHEMA})")
    return result


def field(result: Mapping, key: str) -> Any:
    """A result's value for a table/plot key: top-level field, else policy field, else None."""
    if key in result:
        return result[key]
    return result.get("policy", {}).get(key)


def label(value: Any) -> str:
    """Text of a key value in tables and legends (lists such as train_generators joined by '+')."""
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return "+".join(map(str, value))
    return str(value)
