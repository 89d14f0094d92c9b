"""`KEY=VALUE` option lists (`--policy`, `--set`, dataset specs, `--slurm`) as a dict of texts."""
from __future__ import annotations

from typing import Iterable

from .errors import BenchError


def key_values(pairs: Iterable[str], what: str) -> dict[str, str]:
    """{key: value} of `KEY=VALUE` texts; one without `=` or a key is a BenchError naming `what`."""
    out = {}
    for pair in pairs:
        key, sep, value = str(pair).partition("=")
        if not sep or not key.strip():
            raise BenchError(f"{what} '{pair}': expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out
