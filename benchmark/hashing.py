"""SHA-256 digests, the toolkit's one way to name content: files in predictions, result
documents, split manifests, experiment definitions, tokens and id lists."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

_CHUNK = 1 << 20


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of text encoded as UTF-8."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (result files and checkpoints can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    """Hex SHA-256 of `value` as JSON with sorted keys (values JSON cannot hold written as text),
    so equal definitions hash equally whatever their key order."""
    return sha256_hex(json.dumps(value, sort_keys=True, default=str))
