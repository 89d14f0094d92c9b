"""Reading the toolkit's own JSON files (result files, cache manifests): one line naming the file
for a missing, unreadable or foreign one."""
from __future__ import annotations

import json
import os
from pathlib import Path

from benchmark.errors import DataError


def read_schema_json(path: str | os.PathLike, schema: str, kind: str, missing: str = "cannot read") -> dict:
    """The JSON object at `path`, whose `schema` field must be `schema`; `kind` names what the file
    should be ('a result file') and `missing` what to say when it cannot be read."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except OSError as exc:
        raise DataError(str(path), f"{missing} ({exc.strerror})") from None
    except ValueError as exc:
        raise DataError(str(path), f"not valid JSON ({exc})") from None
    if not isinstance(obj, dict) or obj.get("schema") != schema:
        raise DataError(str(path), f"not {kind} (expected schema {schema})")
    return obj
