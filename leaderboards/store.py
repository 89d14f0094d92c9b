"""The results store (SQLAlchemy Core): SQLite in WAL mode as the embedded default, PostgreSQL by
URL when several machines share one board.

Rows are appended, never rewritten: a submission's content is fixed when it is queued and only
its status moves forward (queued -> scoring -> scored | failed, each move also appended to
`submission_events`); result files are stored once each under their SHA-256, with the per-image
statistics they were reduced from; each scored submission gets its ranking statistic (value,
95 % bootstrap interval, the draws and their seed) once, and every scored submission appends one
ranking snapshot of its track. A worker claims a queued submission by moving it to `scoring`
under a row lock, so two workers never score the same one.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import sqlalchemy as sa

from benchmark.errors import BenchError

from .track import Track

SCHEMA_VERSION = 1
STATUSES = ("queued", "scoring", "scored", "failed")
TRANSITIONS = {"queued": ("scoring", "failed"), "scoring": ("scored", "failed")}
TIERS = ("rescored", "reproduced", "reported")
RANKED_TIERS = ("rescored", "reproduced")
TEXT = 1000

metadata = sa.MetaData()
info = sa.Table("bench_info", metadata,
                sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", sa.Text, nullable=False))
tracks = sa.Table("tracks", metadata,
                  sa.Column("name", sa.String(100), primary_key=True),
                  sa.Column("definition", sa.Text, nullable=False),
                  sa.Column("split_manifest_hash", sa.String(64), nullable=False),
                  sa.Column("registered_at", sa.String(32), nullable=False))
submissions = sa.Table("submissions", metadata,
                       sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                       sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), nullable=False),
                       sa.Column("method", sa.String(TEXT), nullable=False),
                       sa.Column("submitter", sa.String(TEXT), nullable=False),
                       sa.Column("tier", sa.String(16), nullable=False),
                       sa.Column("supervision", sa.String(TEXT), nullable=False),
                       sa.Column("training_data", sa.String(TEXT), nullable=False),
                       sa.Column("checkpoint", sa.String(TEXT)),
                       sa.Column("source", sa.String(TEXT)),
                       sa.Column("submitted_at", sa.String(32), nullable=False),
                       sa.Column("status", sa.String(16), nullable=False),
                       sa.Column("status_at", sa.String(32), nullable=False),
                       sa.Column("worker", sa.String(TEXT)),
                       sa.Column("error", sa.Text),
                       sa.Index("ix_submissions_track_status", "track", "status"))
events = sa.Table("submission_events", metadata,
                  sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                  sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
                  sa.Column("status", sa.String(16), nullable=False),
                  sa.Column("at", sa.String(32), nullable=False),
                  sa.Column("worker", sa.String(TEXT)),
                  sa.Column("detail", sa.Text))
documents = sa.Table("result_documents", metadata,
                     sa.Column("sha256", sa.String(64), primary_key=True),
                     sa.Column("text", sa.Text, nullable=False))
results = sa.Table("results", metadata,
                   sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                   sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
                   sa.Column("part", sa.String(100), nullable=False),
                   sa.Column("sha256", sa.String(64), sa.ForeignKey("result_documents.sha256"), nullable=False),
                   sa.Column("statistics", sa.LargeBinary),
                   sa.Column("stored_at", sa.String(32), nullable=False),
                   sa.UniqueConstraint("submission_id", "part"))
estimates = sa.Table("estimates", metadata,
                     sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                     sa.Column("metric", sa.String(100), nullable=False),
                     sa.Column("value", sa.Float),
                     sa.Column("low", sa.Float),
                     sa.Column("high", sa.Float),
                     sa.Column("seed", sa.Integer, nullable=False),
                     sa.Column("resamples", sa.Integer, nullable=False),
                     sa.Column("draws", sa.LargeBinary, nullable=False))
rankings = sa.Table("rankings", metadata,
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), nullable=False),
                    sa.Column("cause", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
                    sa.Column("computed_at", sa.String(32), nullable=False))
ranking_rows = sa.Table("ranking_rows", metadata,
                        sa.Column("ranking_id", sa.Integer, sa.ForeignKey("rankings.id"), primary_key=True),
                        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                        sa.Column("position", sa.Integer),
                        sa.Column("p_value", sa.Float))


def now() -> str:
    """UTC time as fixed-width ISO 8601 text: sorts the same on every backend."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def store_url(store: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a URL or a path (a SQLite file)."""
    text = str(store)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]  # the driver bench installs
    return text


@dataclass(frozen=True)
class Estimate:
    metric: str
    value: float | None
    low: float | None
    high: float | None
    seed: int
    resamples: int
    draws: np.ndarray


class Store:
    """An initialised store (`Store.create` makes one)."""

    def __init__(self, store: str | os.PathLike, _create: bool = False):
        url = store_url(store)
        self.url = url
        if url.startswith("sqlite:///") and not _create and not Path(url[len("sqlite:///"):]).is_file():
            raise BenchError(f"{store}: no results store here (create one with bench leaderboard init)")
        try:
            self.engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise BenchError(f"{store}: not a usable database URL ({exc})") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        if _create:
            self._create()
        self._check_version(store)

    @classmethod
    def create(cls, store: str | os.PathLike) -> "Store":
        """Create the schema (an existing store of this schema version is left as it is)."""
        return cls(store, _create=True)

    def _create(self) -> None:
        with self._begin() as conn:
            metadata.create_all(conn)
            if conn.execute(sa.select(info.c.value).where(info.c.key == "schema_version")).first() is None:
                conn.execute(info.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    def _check_version(self, where) -> None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(info.c.value).where(info.c.key == "schema_version")).first()
        except sa.exc.SQLAlchemyError as exc:
            raise BenchError(f"{where}: not a results store ({_reason(exc)}; create one with bench leaderboard init)") from None
        if row is None or row.value != str(SCHEMA_VERSION):
            raise BenchError(f"{where}: results store schema version {row.value if row else 'missing'}, "
                             f"this bench reads version {SCHEMA_VERSION}")

    def _begin(self):
        return _Transaction(self.engine)

    # -- tracks ---------------------------------------------------------------------------
    def register_track(self, track: Track, split_hash: str) -> None:
        """Record the track's definition and split hash once; a later pack of the same track must
        match both, so that one board never mixes scoring rules or splits."""
        definition = json.dumps(track.to_json(), sort_keys=True)
        with self._begin() as conn:
            row = conn.execute(sa.select(tracks).where(tracks.c.name == track.name)).first()
            if row is None:
                conn.execute(tracks.insert().values(name=track.name, definition=definition,
                                                    split_manifest_hash=split_hash, registered_at=now()))
            elif row.split_manifest_hash != split_hash:
                raise BenchError(f"track {track.name}: this GT pack's split hash {split_hash[:12]} differs from the "
                                 f"board's {row.split_manifest_hash[:12]} (another split or changed truth)")
            elif row.definition != definition:
                raise BenchError(f"track {track.name}: the GT pack's track definition differs from the one the "
                                 "board was registered with")

    def tracks(self) -> list[tuple[Track, str]]:
        """Registered tracks (definition as registered, split hash), by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tracks).order_by(tracks.c.name)).all()
        return [(Track.from_json(json.loads(r.definition)), r.split_manifest_hash) for r in rows]

    # -- submissions ----------------------------------------------------------------------
    def new_submission(self, track: str, *, method: str, submitter: str, tier: str, supervision: str = "unknown",
                       training_data: str = "unknown", checkpoint: str | None = None, source: str | None = None,
                       submitted_at: str | None = None) -> int:
        """Queue a submission; return its id."""
        if tier not in TIERS:
            raise BenchError(f"provenance tier '{tier}' (known: {', '.join(TIERS)})")
        fields = {"method": method, "submitter": submitter, "supervision": supervision,
                  "training_data": training_data, "checkpoint": checkpoint, "source": source}
        for key, value in fields.items():
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= TEXT):
                raise BenchError(f"submission {key} must be a text of 1 to {TEXT} characters")
        at = submitted_at or now()
        with self._begin() as conn:
            if conn.execute(sa.select(tracks.c.name).where(tracks.c.name == track)).first() is None:
                raise BenchError(f"track {track} is not registered in this store")
            sid = conn.execute(submissions.insert().values(track=track, tier=tier, submitted_at=at, status="queued",
                                                           status_at=at, **fields)).inserted_primary_key[0]
            conn.execute(events.insert().values(submission_id=sid, status="queued", at=at))
        return int(sid)

    def set_status(self, sid: int, status: str, worker: str | None = None, detail: str | None = None) -> None:
        """Move a submission forward (queued -> scoring -> scored | failed), under a row lock."""
        at = now()
        with self._begin() as conn:
            row = conn.execute(sa.select(submissions.c.status).where(submissions.c.id == sid).with_for_update()).first()
            if row is None:
                raise BenchError(f"no submission {sid}")
            if status not in TRANSITIONS.get(row.status, ()):
                raise BenchError(f"submission {sid} is {row.status}: it cannot become {status}")
            conn.execute(submissions.update().where(submissions.c.id == sid).values(
                status=status, status_at=at, worker=worker, error=detail if status == "failed" else None))
            conn.execute(events.insert().values(submission_id=sid, status=status, at=at, worker=worker, detail=detail))

    def submission(self, sid: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(submissions).where(submissions.c.id == sid)).first()
        if row is None:
            raise BenchError(f"no submission {sid}")
        return dict(row._mapping)

    def submissions(self, track: str | None = None) -> list[dict]:
        query = sa.select(submissions).order_by(submissions.c.id)
        if track is not None:
            query = query.where(submissions.c.track == track)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def history(self, sid: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(events).where(events.c.submission_id == sid).order_by(events.c.id))
            return [dict(r._mapping) for r in rows]

    # -- results --------------------------------------------------------------------------
    def add_results(self, sid: int, parts: Mapping[str, tuple[str, bytes | None]], estimate: Estimate | None) -> dict[str, str]:
        """Store a scoring submission's result files (part -> (text, statistics)) and its ranking
        estimate in one transaction, then mark it scored; return part -> SHA-256."""
        import hashlib

        shas = {}
        with self._begin() as conn:
            row = conn.execute(sa.select(submissions.c.status).where(submissions.c.id == sid).with_for_update()).first()
            if row is None or row.status != "scoring":
                raise BenchError(f"submission {sid} is {row.status if row else 'missing'}: results are stored while it is scoring")
            at = now()
            for part, (text, statistics) in parts.items():
                sha = hashlib.sha256(text.encode()).hexdigest()
                if conn.execute(sa.select(documents.c.sha256).where(documents.c.sha256 == sha)).first() is None:
                    conn.execute(documents.insert().values(sha256=sha, text=text))
                conn.execute(results.insert().values(submission_id=sid, part=part, sha256=sha, statistics=statistics,
                                                     stored_at=at))
                shas[part] = sha
            if estimate is not None:
                conn.execute(estimates.insert().values(
                    submission_id=sid, metric=estimate.metric, value=_real(estimate.value), low=_real(estimate.low),
                    high=_real(estimate.high), seed=estimate.seed, resamples=estimate.resamples,
                    draws=np.asarray(estimate.draws, "<f8").tobytes()))
            conn.execute(submissions.update().where(submissions.c.id == sid).values(status="scored", status_at=at))
            conn.execute(events.insert().values(submission_id=sid, status="scored", at=at))
        return shas

    def results(self, sid: int) -> dict[str, tuple[str, str]]:
        """part -> (SHA-256, result file text) of a submission."""
        query = (sa.select(results.c.part, results.c.sha256, documents.c.text)
                 .join(documents, documents.c.sha256 == results.c.sha256)
                 .where(results.c.submission_id == sid).order_by(results.c.id))
        with self.engine.connect() as conn:
            return {r.part: (r.sha256, r.text) for r in conn.execute(query)}

    def statistics(self, sid: int, part: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(results.c.statistics).where(results.c.submission_id == sid,
                                                                     results.c.part == part)).first()
        return None if row is None else row.statistics

    def document(self, sha: str) -> str:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(documents.c.text).where(documents.c.sha256 == sha)).first()
        if row is None:
            raise BenchError(f"no result file {sha}")
        return row.text

    def estimate(self, sid: int) -> Estimate | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(estimates).where(estimates.c.submission_id == sid)).first()
        if row is None:
            return None
        return Estimate(row.metric, row.value, row.low, row.high, row.seed, row.resamples,
                        np.frombuffer(row.draws, "<f8").copy())

    # -- rankings -------------------------------------------------------------------------
    def add_ranking(self, track: str, cause: int, rows: Iterable[tuple[int, int | None, float | None]]) -> int:
        """Append a ranking snapshot: (submission, position or None, p-value or None) rows."""
        with self._begin() as conn:
            rid = conn.execute(rankings.insert().values(track=track, cause=cause, computed_at=now())).inserted_primary_key[0]
            values = [{"ranking_id": rid, "submission_id": s, "position": pos, "p_value": _real(p)} for s, pos, p in rows]
            if values:
                conn.execute(ranking_rows.insert(), values)
        return int(rid)

    def latest_ranking(self, track: str) -> dict[int, tuple[int | None, float | None]]:
        """submission -> (position, p-value) in the track's newest snapshot ({} before any)."""
        with self.engine.connect() as conn:
            rid = conn.execute(sa.select(sa.func.max(rankings.c.id)).where(rankings.c.track == track)).scalar()
            if rid is None:
                return {}
            rows = conn.execute(sa.select(ranking_rows).where(ranking_rows.c.ranking_id == rid))
            return {r.submission_id: (r.position, r.p_value) for r in rows}


class _Transaction:
    """`engine.begin()` whose database errors leave as one-line BenchErrors."""

    def __init__(self, engine: sa.Engine):
        self._ctx = engine.begin()

    def __enter__(self) -> sa.Connection:
        try:
            return self._ctx.__enter__()
        except sa.exc.SQLAlchemyError as exc:
            raise BenchError(f"results store: {_reason(exc)}") from None

    def __exit__(self, *exc_info: Any) -> bool:
        try:
            self._ctx.__exit__(*exc_info)
        except sa.exc.SQLAlchemyError as exc:
            raise BenchError(f"results store: {_reason(exc)}") from None
        if exc_info[0] is not None and issubclass(exc_info[0], sa.exc.SQLAlchemyError):
            raise BenchError(f"results store: {_reason(exc_info[1])}") from None
        return False


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _real(value: float | None) -> float | None:
    """NaN as NULL: SQLite would store NaN as NULL anyway, PostgreSQL would keep it; both read None."""
    return None if value is None or value != value else float(value)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the page builder, part 2's server) never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
