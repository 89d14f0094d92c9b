"""The error codes of the submission server: one per kind of refused upload or failed scoring,
each with its HTTP status. An upload refused at the door answers `{"error": CODE, "message":
"..."}`; a scoring that fails later stores the code beside its message (`submissions.error_code`),
so that a participant polling the job reads the same code either way."""
from __future__ import annotations

import re

from benchmark.errors import BenchError

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

# What the hardened predictions reader says about a problem -> its code (first match wins). The
# reader reports problems as text lines; these patterns are the phrases it uses for each kind.
_PROBLEMS = (
    (r"is not a probability in \[0, 1\]", "bad_score"),
    (r"over the cap of \d+x the ground truth", "png_too_large"),
    (r"pixels is over the cap of", "png_too_large"),
    (r"inflates \d+-fold", "compression_ratio"),
    (r"bytes \(uncompressed\) is over the cap", "member_too_large"),
    (r"stored \d+ times in the archive|duplicate image id", "duplicate_member"),
    (r"SHA-256 does not match", "hash_mismatch"),
    (r"missing mask|extra mask|missing score|extra score|no prediction for|not in the split", "wrong_ids"),
    (r"not a readable zip archive|cannot read archive member", "truncated_archive"),
    (r"made under distortion|submission; track .* takes|partial submission|second predictions part|"
     r"made for dataset spec|made for split|generator map does not match", "wrong_track"),
    (r"scored on split contents", "wrong_split_hash"),
)


class Rejected(BenchError):
    """An upload or a job refused with `code` and a one-line message."""

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


def classify(message: str) -> str:
    """The code of a reader or scorer problem message (`invalid_predictions` when none fits)."""
    for pattern, code in _PROBLEMS:
        if re.search(pattern, message):
            return code
    return "invalid_predictions"
