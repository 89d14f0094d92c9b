"""The results store's schema (SQLAlchemy Core), its upgrades, and the connection it all runs on:
SQLite in WAL mode as the embedded default, PostgreSQL by URL when several machines share one board.

Rows are appended, never rewritten: a submission's content is fixed when it is queued and only its
status moves forward (queued -> scoring -> scored | failed, each move also appended to
`submission_events`); result files are stored once each under their SHA-256, with the per-image
statistics they were reduced from; a scored submission's ranking statistic is stored once, and
the ranking snapshot of its track is appended in the same transaction.

Schema 2 (the submission server) added `teams` (tokens stored as SHA-256 only, per-team limits)
and, per uploaded submission, its team, job folder, attempts and a lease. Schema 3 (public/private
test ids) added `public_splits` and `public_results`. Schema 4 records phases as events
(`phase_events`: a freeze, a new phase opened) instead of one freeze per track.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmark.clock import utc_stamp
from benchmark.errors import BenchError

SCHEMA_VERSION = 4
TEXT = 1000
# Ids are 32-bit integers on PostgreSQL (and at most 63-bit on SQLite): a larger id names nothing,
# and is never handed to a driver, which would overflow.
MAX_ID = (1 << 31) - 1

metadata = sa.MetaData()
info = sa.Table("bench_info", metadata,
                sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", sa.Text, nullable=False))
tracks = sa.Table("tracks", metadata,
                  sa.Column("name", sa.String(100), primary_key=True),
                  sa.Column("definition", sa.Text, nullable=False),
                  sa.Column("split_manifest_hash", sa.String(64), nullable=False),
                  sa.Column("registered_at", sa.String(32), nullable=False))
teams = sa.Table("teams", metadata,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("name", sa.String(TEXT), nullable=False, unique=True),
                 sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
                 sa.Column("daily_limit", sa.Integer),
                 sa.Column("phase_limit", sa.Integer),
                 sa.Column("created_at", sa.String(32), nullable=False),
                 sa.Column("last_upload_at", sa.String(32)))
# Columns schema 2 added to `submissions`: a version-1 store gains them on `bench leaderboard init`.
V2_COLUMNS = ("error_code", "team_id", "job_dir", "lease_until", "attempts")
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
                       sa.Column("error_code", sa.String(64)),
                       sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")),
                       sa.Column("job_dir", sa.Text),
                       sa.Column("lease_until", sa.String(32)),
                       sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
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


def estimate_columns() -> list[sa.Column]:
    """A ranking estimate: the metric, its value and bootstrap interval, and what drew it (the
    draws kept so that paired p-values use the same resamples for every entry)."""
    return [sa.Column("metric", sa.String(100), nullable=False), sa.Column("value", sa.Float),
            sa.Column("low", sa.Float), sa.Column("high", sa.Float),
            sa.Column("seed", sa.Integer, nullable=False), sa.Column("resamples", sa.Integer, nullable=False),
            sa.Column("draws", sa.LargeBinary, nullable=False)]


estimates = sa.Table("estimates", metadata,
                     sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                     *estimate_columns())
rankings = sa.Table("rankings", metadata,
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), nullable=False),
                    sa.Column("cause", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
                    sa.Column("computed_at", sa.String(32), nullable=False))
public_splits = sa.Table("public_splits", metadata,
                          sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), primary_key=True),
                          sa.Column("ids", sa.Text, nullable=False),  # JSON list, sorted
                          sa.Column("ids_sha256", sa.String(64), nullable=False),
                          sa.Column("registered_at", sa.String(32), nullable=False))
public_results = sa.Table("public_results", metadata,
                          sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                          sa.Column("view", sa.Text, nullable=False),  # JSON: part -> {metrics, policy}
                          *estimate_columns())
# A track is in phase 1 from its registration; `freeze` closes the current phase, `open` starts the
# next one. A phase's own ranking snapshot (the freeze's) is kept with its event.
phase_events = sa.Table("phase_events", metadata,
                        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), nullable=False),
                        sa.Column("phase", sa.Integer, nullable=False),
                        sa.Column("event", sa.String(16), nullable=False),  # freeze | open
                        sa.Column("at", sa.String(32), nullable=False),
                        sa.Column("ranking_id", sa.Integer, sa.ForeignKey("rankings.id")),
                        sa.UniqueConstraint("track", "phase", "event"))
ranking_rows = sa.Table("ranking_rows", metadata,
                        sa.Column("ranking_id", sa.Integer, sa.ForeignKey("rankings.id"), primary_key=True),
                        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                        sa.Column("position", sa.Integer),
                        sa.Column("p_value", sa.Float))


def now() -> str:
    """UTC time as fixed-width ISO 8601 text: sorts the same on every backend."""
    return utc_stamp()


def lease_at(seconds: float) -> str:
    return utc_stamp(after_seconds=seconds)


def store_url(store: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a URL or a path (a SQLite file)."""
    text = str(store)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]  # the driver bench installs
    return text


class Database:
    """The connection to an initialised store and its transactions; `Store.create` makes one."""

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
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        if _create:
            self._create()
        self._check_version(store)

    @classmethod
    def create(cls, store: str | os.PathLike):
        """Create the schema, or upgrade an older store in place (one of this version is left as it is)."""
        return cls(store, _create=True)

    def _create(self) -> None:
        with self._begin() as conn:
            version = None
            if sa.inspect(conn).has_table("bench_info"):
                version = conn.execute(sa.select(info.c.value).where(info.c.key == "schema_version")).scalar()
            metadata.create_all(conn)
            if version is None:
                conn.execute(info.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                return
            if version == "1":
                _upgrade_from_1(conn)
            if version in ("1", "2", "3"):
                _upgrade_from_3(conn)  # schema 3's own tables were made by create_all
            conn.execute(info.update().where(info.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

    def _check_version(self, where) -> None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(info.c.value).where(info.c.key == "schema_version")).first()
        except sa.exc.SQLAlchemyError as exc:
            raise BenchError(f"{where}: not a results store ({_reason(exc)}; create one with bench leaderboard init)") from None
        if row is None or row.value != str(SCHEMA_VERSION):
            raise BenchError(f"{where}: results store schema version {row.value if row else 'missing'}, "
                             f"this bench reads version {SCHEMA_VERSION} (bench leaderboard init upgrades it)")

    def _begin(self) -> "Transaction":
        return Transaction(self.engine)


class Transaction:
    """`engine.begin()` whose database errors leave as one-line BenchErrors."""

    def __init__(self, engine: sa.Engine):
        self._ctx = engine.execution_options(bench_write=True).begin()

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


def lock_track(conn: sa.Connection, track: str) -> None:
    """Take the track's row lock (PostgreSQL; SQLite's write lock is already held) before reading
    anything a ranking depends on: rankings of one track are computed one at a time."""
    conn.execute(tracks.update().where(tracks.c.name == track).values(registered_at=tracks.c.registered_at))


def real(value: float | None) -> float | None:
    """NaN as NULL: SQLite would store NaN as NULL anyway, PostgreSQL would keep it; both read None."""
    return None if value is None or value != value else float(value)


def _upgrade_from_1(conn: sa.Connection) -> None:
    """Schema 1 -> 2: the tables are created by `create_all`; the new columns of `submissions`
    are added (NULL, or 0 attempts, for the submissions already there)."""
    for name in V2_COLUMNS:
        column = submissions.c[name]
        default = " DEFAULT 0 NOT NULL" if name == "attempts" else ""
        conn.execute(sa.text(f"ALTER TABLE submissions ADD COLUMN {name} {column.type.compile(conn.dialect)}{default}"))


def _upgrade_from_3(conn: sa.Connection) -> None:
    """Schema 3 -> 4: a track's one freeze (`phase_freezes`) becomes the freeze event of its phase 1."""
    if not sa.inspect(conn).has_table("phase_freezes"):
        return
    old = sa.Table("phase_freezes", sa.MetaData(), autoload_with=conn)
    for row in conn.execute(sa.select(old)):
        conn.execute(phase_events.insert().values(track=row.track, phase=1, event="freeze", at=row.frozen_at,
                                                  ranking_id=row.ranking_id))
    old.drop(conn)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver begins nothing itself: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the page builder, the server) never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A writing transaction takes SQLite's write lock when it begins: one that read first and wrote
    # later could not wait for a concurrent writer (WAL mode answers SQLITE_BUSY at once), and
    # several workers and the server write at the same time.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bench_write") else "BEGIN")
