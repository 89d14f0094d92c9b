"""The error codes of the submission server: one per kind of refused upload or failed scoring,
each with its HTTP status. An upload refused at the door answers `{"error": CODE, "message":
"..."}`; a scoring that fails later stores the code beside its message (`submissions.error_code`),
so that a participant polling the job reads the same code either way."""
from __future__ import annotations

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
