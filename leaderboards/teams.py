"""Teams and their tokens: a token is 32 random bytes shown once (written to a file only its owner
can read); the store keeps its SHA-256, which is enough for a secret of that entropy and lets the
server look a team up without keeping anything that would let someone else submit as it. Limits
count a team's submissions to a track per UTC day and over the track's current phase; an upload
over either is answered 429 with the time the limit resets (values.QuotaExceeded)."""
from __future__ import annotations

import os
import secrets
from datetime import datetime

from benchmark.clock import utc_now, utc_stamp
from benchmark.errors import BenchError
from benchmark.hashing import sha256_hex
from benchmark.outputs import new_file

from .store import Store
from .values import Rejected

TOKEN_PREFIX = "bench_"


def token_hash(token: str) -> str:
    return sha256_hex(token)


def add_team(store: Store, name: str, token_file: str | os.PathLike, daily_limit: int | None = None,
             phase_limit: int | None = None) -> int:
    """Register team `name` with a new token, written to the new file `token_file` (mode 0600)."""
    for value, what in ((daily_limit, "daily"), (phase_limit, "phase")):
        if value is not None and value < 1:
            raise BenchError(f"a {what} limit is at least 1 submission (leave it out for none)")
    path = new_file(token_file)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tid = store.add_team(name, token_hash(token), daily_limit, phase_limit)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return tid


def authenticate(store: Store, authorization: str | None) -> dict:
    """The team of an `Authorization: Bearer TOKEN` header, or a Rejected (401)."""
    if not authorization:
        raise Rejected("missing_token", "this needs a team token: Authorization: Bearer TOKEN")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Rejected("missing_token", "give the token as Authorization: Bearer TOKEN")
    team = store.team_by_token(token_hash(token.strip()))
    if team is None:
        raise Rejected("bad_token", "unknown or revoked token")
    return team


def day_start(at: datetime | None = None) -> str:
    """The start of the current UTC day, in the store's time format."""
    return utc_stamp((at or utc_now()).replace(hour=0, minute=0, second=0, microsecond=0))
