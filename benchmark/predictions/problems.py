"""What can be wrong with a predictions folder/zip: each problem is a line `FILE: what` that also
carries its code, set where the problem is found (the reader, a codec, the check against a split).
The leaderboard answers a refused upload or a failed scoring with that code, so rewording a
message never changes an API code.

    invalid_predictions  anything below without a more specific code (a broken PNG, a bad manifest)
    bad_score            a NaN, infinite or out-of-range image score
    png_too_large        a map that declares more pixels than the caps allow (refused undecoded)
    member_too_large     an archive member or file over its byte cap
    compression_ratio    an archive member that inflates beyond the ratio cap (a zip bomb)
    duplicate_member     a file stored twice, or two files for one image id
    hash_mismatch        a file whose SHA-256 differs from the manifest's
    wrong_ids            missing ids, or ids that are not in the split
    truncated_archive    a zip archive or member that cannot be read
    wrong_track          made for another dataset spec, split, generator map or distortion
"""
from __future__ import annotations

import os
from typing import Sequence

from benchmark.errors import BenchError, DataError

CODES = ("invalid_predictions", "bad_score", "png_too_large", "member_too_large", "compression_ratio",
         "duplicate_member", "hash_mismatch", "wrong_ids", "truncated_archive", "wrong_track")
GENERIC = "invalid_predictions"
SHOWN = 20


class Problem(str):
    """One problem as its line `where: text` (a str, so messages and joins read as before), with
    `code`, `where` and `text` kept apart."""

    code: str
    where: str
    text: str

    def __new__(cls, code: str, where: str, text: str) -> "Problem":
        if code not in CODES:
            raise ValueError(f"unknown predictions problem code {code}")
        self = super().__new__(cls, f"{where}: {text}")
        self.code, self.where, self.text = code, str(where), text
        return self

    def __getnewargs__(self) -> tuple[str, str, str]:  # survives pickling between scoring processes
        return self.code, self.where, self.text


class ProblemError(DataError):
    """One file's problem, raised (a mask that cannot be decoded, an RLE of the wrong size)."""

    def __init__(self, code: str, file: str, problem: str):
        super().__init__(file, problem)
        self.code = code

    @property
    def problem_line(self) -> Problem:
        return Problem(self.code, self.file, self.problem)


def problem_line(exc: DataError) -> Problem:
    """A raised file problem as a problem line (a DataError without a code is generic)."""
    return exc.problem_line if isinstance(exc, ProblemError) else Problem(GENERIC, exc.file, exc.problem)


def code_of(problem: str) -> str:
    """The code of a problem line (plain text lines, e.g. from `bench pack`, are generic)."""
    return getattr(problem, "code", GENERIC)


class PredictionsError(BenchError):
    """The predictions break the format; the one-line message lists every problem found, `code`
    is the most specific one's (a hostile score speaks before a missing id)."""

    def __init__(self, path: str | os.PathLike, problems: Sequence[str]):
        self.problems = list(problems)
        shown = "; ".join(self.problems[:SHOWN])
        more = f"; ... and {len(self.problems) - SHOWN} more" if len(self.problems) > SHOWN else ""
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the predictions: {shown}{more}")

    @property
    def code(self) -> str:
        return code_of(self.first)

    @property
    def first(self) -> str:
        """The problem that speaks for the rest: the first with a specific code, else the first."""
        return min(self.problems, key=lambda p: code_of(p) in (GENERIC, "wrong_ids"), default="")
