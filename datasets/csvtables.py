"""Metadata tables shipped as CSV: read with `NA` as missing, typed columns, errors naming the file."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import pandas as pd

from benchmark.errors import DataError

TRUE_WORDS = {"true", "1", "yes", "pass", "passed"}
FALSE_WORDS = {"false", "0", "no", "fail", "failed"}


def read_table(path: str | os.PathLike, numeric: Iterable[str] = (), boolean: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV as strings; only the literal `NA` (and empty cells) are missing, so ids such as
    `NaN` or `None` stay text. Columns in `numeric` become floats, in `boolean` True/False/None;
    a value that does not parse is an error naming the file, row and column."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["NA", ""])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(str(path), f"unreadable CSV ({exc})") from None
    for col in numeric:
        if col in table:
            values = pd.to_numeric(table[col], errors="coerce")
            _reject(path, table, col, values.isna() & table[col].notna())
            table[col] = values
    for col in boolean:
        if col in table:
            words = table[col].str.strip().str.lower()
            values = words.map(lambda w: True if w in TRUE_WORDS else False if w in FALSE_WORDS else None)
            _reject(path, table, col, values.isna() & table[col].notna())
            table[col] = values.astype(object)
    return table.astype(object).where(table.notna(), None)


def _reject(path, table: pd.DataFrame, col: str, bad: pd.Series) -> None:
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        # +2: the header is line 1 and rows count from 0
        raise DataError(f"{path}:{row + 2}", f"column {col}: cannot read value {table[col].iloc[row]!r}")


def find_tables(root: Path, patterns: Iterable[str]) -> list[Path]:
    """CSV files under `root` for the first glob pattern that matches any, sorted."""
    for pattern in patterns:
        found = sorted(p for p in root.glob(pattern) if p.is_file())
        if found:
            return found
    return []
