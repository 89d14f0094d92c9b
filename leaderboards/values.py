"""Plain values of the leaderboard, below every other module of the package: provenance tiers,
the ranking estimate, and the refusals every layer raises with their codes (`Rejected`, a phase
that is closed, a team over its limit). Nothing here reads a file or a database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

import numpy as np

from benchmark.clock import utc_now
from benchmark.errors import BenchError
from benchmark.hashing import sha256_json

TIERS = ("rescored", "reproduced", "reported")
RANKED_TIERS = ("rescored", "reproduced")

# Every error code of the submission server with its HTTP status. An upload refused at the door
# answers `{"error": CODE, "message": "..."}`; a scoring that fails later stores the code beside
# its message, so that a participant polling the job reads the same code either way. The codes of
# a broken predictions file are set by its reader (benchmark/predictions/problems.py).
HTTP_STATUS = {
    # authentication and limits
    "missing_token": 401, "bad_token": 401, "daily_limit": 429, "phase_limit": 429,
    "phase_closed": 409,  # the organiser froze the track's phase
    # what is asked for
    "unknown_track": 404, "unknown_submission": 404, "not_found": 404, "bad_request": 400,
    # the upload itself
    "upload_too_large": 413, "not_multipart": 400, "no_files": 400, "too_many_files": 400,
    "not_a_zip": 400, "truncated_archive": 400, "absolute_path": 400, "path_traversal": 400, "symlink": 400,
    "duplicate_member": 400, "too_many_members": 400, "archive_too_large": 413, "compression_ratio": 413,
    "member_too_large": 413, "png_too_large": 400, "bad_score": 400, "wrong_track": 409,
    "wrong_split_hash": 409, "wrong_ids": 400, "hash_mismatch": 400, "invalid_predictions": 400,
    # scoring
    "timeout": 500, "memory_limit": 500, "worker_lost": 500, "internal_error": 500,
}


@dataclass(frozen=True)
class Estimate:
    """A submission's ranking metric with its bootstrap interval, the resamples' draws and seed."""

    metric: str
    value: float | None
    low: float | None
    high: float | None
    seed: int
    resamples: int
    draws: np.ndarray


class Rejected(BenchError):
    """An upload or a job refused with `code` and a one-line message (`extra`: more fields of the
    answer, such as `reset_at`)."""

    def __init__(self, code: str, message: str, **extra):
        if code not in HTTP_STATUS:
            raise ValueError(f"unknown error code {code}")
        self.code, self.message, self.extra = code, message.splitlines()[0] if message else code, extra
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


class PhaseClosed(Rejected):
    """A submission to a track whose phase the organiser froze."""

    def __init__(self, track: str, frozen_at: str):
        self.track, self.frozen_at = track, frozen_at
        super().__init__("phase_closed", f"track {track}: the phase was frozen at {frozen_at}; it takes no more "
                                         "submissions", frozen_at=frozen_at)


class QuotaExceeded(Rejected):
    """An upload over one of its team's limits (`kind`: daily_limit or phase_limit), with when the
    limit resets (a phase limit: when the organiser opens a new phase)."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        if kind == "daily_limit":
            reset_at = (utc_now().replace(hour=0, minute=0, second=0, microsecond=0)
                        + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            message = f"daily limit of {limit} submission(s) to this track reached; it resets at {reset_at}"
        else:
            reset_at, message = None, f"limit of {limit} submission(s) to this track in this phase reached"
        super().__init__(kind, message, reset_at=reset_at, limit=limit)


def ids_sha256(ids: Sequence[str]) -> str:
    """The hash a GT pack and the store record of a public id list."""
    return sha256_json(sorted(ids))
