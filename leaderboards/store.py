"""The results store (SQLAlchemy Core): SQLite in WAL mode as the embedded default, PostgreSQL by
URL when several machines share one board.

Rows are appended, never rewritten: a submission's content is fixed when it is queued and only
its status moves forward (queued -> scoring -> scored | failed, each move also appended to
`submission_events`); result files are stored once each under their SHA-256, with the per-image
statistics they were reduced from; each scored submission gets its ranking statistic (value,
95 % bootstrap interval, the draws and their seed) once, and every scored submission appends one
ranking snapshot of its track. A worker claims a queued submission by moving it to `scoring`
under a row lock, so two workers never score the same one.

Schema 2 (the submission server) adds `teams` (tokens stored as SHA-256 only, per-team limits) and,
per uploaded submission, its team, job folder, attempts and a lease: a worker claims an upload with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (one atomic `UPDATE ... RETURNING` on SQLite) and
keeps its lease alive while it scores; a job whose lease ran out (its worker died) is claimed again,
and only the worker holding the claim may store its outcome, so it is scored once.

Schema 3 (public/private phases, phases.py) adds `public_splits` (a track's public ids, written
once when it is registered from a pack that has them), `public_results` (per scored submission
the metrics and ranking estimate recomputed on the public ids) and `phase_freezes` (when the
organiser froze a track's phase, and the ranking snapshot that freeze appended).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import sqlalchemy as sa

from benchmark.clock import utc_stamp
from benchmark.errors import BenchError
from benchmark.hashing import sha256_hex

from .track import Track

SCHEMA_VERSION = 3
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
public_splits = sa.Table("public_splits", metadata,
                          sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), primary_key=True),
                          sa.Column("ids", sa.Text, nullable=False),  # JSON list, sorted
                          sa.Column("ids_sha256", sa.String(64), nullable=False),
                          sa.Column("registered_at", sa.String(32), nullable=False))
public_results = sa.Table("public_results", metadata,
                          sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                          sa.Column("view", sa.Text, nullable=False),  # JSON: part -> {metrics, policy}
                          sa.Column("metric", sa.String(100), nullable=False),
                          sa.Column("value", sa.Float),
                          sa.Column("low", sa.Float),
                          sa.Column("high", sa.Float),
                          sa.Column("seed", sa.Integer, nullable=False),
                          sa.Column("resamples", sa.Integer, nullable=False),
                          sa.Column("draws", sa.LargeBinary, nullable=False))
phase_freezes = sa.Table("phase_freezes", metadata,
                         sa.Column("track", sa.String(100), sa.ForeignKey("tracks.name"), primary_key=True),
                         sa.Column("frozen_at", sa.String(32), nullable=False),
                         sa.Column("ranking_id", sa.Integer, sa.ForeignKey("rankings.id")))
ranking_rows = sa.Table("ranking_rows", metadata,
                        sa.Column("ranking_id", sa.Integer, sa.ForeignKey("rankings.id"), primary_key=True),
                        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
                        sa.Column("position", sa.Integer),
                        sa.Column("p_value", sa.Float))


def now() -> str:
    """UTC time as fixed-width ISO 8601 text: sorts the same on every backend."""
    return utc_stamp()


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
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        if _create:
            self._create()
        self._check_version(store)

    @classmethod
    def create(cls, store: str | os.PathLike) -> "Store":
        """Create the schema (an existing store of this schema version is left as it is)."""
        return cls(store, _create=True)

    def _create(self) -> None:
        with self._begin() as conn:
            version = None
            if sa.inspect(conn).has_table("bench_info"):
                version = conn.execute(sa.select(info.c.value).where(info.c.key == "schema_version")).scalar()
            metadata.create_all(conn)
            if version is None:
                conn.execute(info.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif version == "1":
                _upgrade_from_1(conn)
            elif version == "2":  # schema 3 only adds tables, which create_all made
                conn.execute(info.update().where(info.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

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
    def register_track(self, track: Track, split_hash: str, public_ids: list[str] | None = None) -> None:
        """Record the track's definition, split hash and public ids (None: no public/private
        split) once; a later pack of the same track must match all three, so that one board never
        mixes scoring rules, splits or phases."""
        from .phases import ids_sha256

        definition = json.dumps(track.to_json(), sort_keys=True)
        public_sha = None if public_ids is None else ids_sha256(public_ids)
        with self._begin() as conn:
            row = conn.execute(sa.select(tracks).where(tracks.c.name == track.name)).first()
            if row is None:
                conn.execute(tracks.insert().values(name=track.name, definition=definition,
                                                    split_manifest_hash=split_hash, registered_at=now()))
                if public_ids is not None:
                    conn.execute(public_splits.insert().values(track=track.name, ids=json.dumps(sorted(public_ids)),
                                                               ids_sha256=public_sha, registered_at=now()))
                return
            if row.split_manifest_hash != split_hash:
                raise BenchError(f"track {track.name}: this GT pack's split hash {split_hash[:12]} differs from the "
                                 f"board's {row.split_manifest_hash[:12]} (another split or changed truth)")
            if row.definition != definition:
                raise BenchError(f"track {track.name}: the GT pack's track definition differs from the one the "
                                 "board was registered with")
            registered = conn.execute(sa.select(public_splits.c.ids_sha256)
                                      .where(public_splits.c.track == track.name)).scalar()
            if registered != public_sha:
                raise BenchError(f"track {track.name}: this GT pack's public/private split "
                                 f"({public_sha[:12] if public_sha else 'none'}) differs from the board's "
                                 f"({registered[:12] if registered else 'none'})")

    def public_ids(self, track: str) -> set[str] | None:
        """The track's public ids; None when it has no public/private split."""
        with self.engine.connect() as conn:
            ids = conn.execute(sa.select(public_splits.c.ids).where(public_splits.c.track == track)).scalar()
        return None if ids is None else set(json.loads(ids))

    def frozen_at(self, track: str) -> str | None:
        """When the organiser froze the track's phase; None while it is open (or has no phases)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(phase_freezes.c.frozen_at).where(phase_freezes.c.track == track)).scalar()

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
            if tier != "reported":  # a paper's numbers compete for nothing: they may still be added
                _check_open(conn, track)
            sid = conn.execute(submissions.insert().values(track=track, tier=tier, submitted_at=at, status="queued",
                                                           status_at=at, **fields)).inserted_primary_key[0]
            conn.execute(events.insert().values(submission_id=sid, status="queued", at=at))
        return int(sid)

    def set_status(self, sid: int, status: str, worker: str | None = None, detail: str | None = None,
                   code: str | None = None) -> None:
        """Move a submission forward (queued -> scoring -> scored | failed), under a row lock. An
        upload's outcome is stored only by the worker holding its claim (`claim`)."""
        at = now()
        with self._begin() as conn:
            row = conn.execute(sa.select(submissions.c.status, submissions.c.worker, submissions.c.job_dir)
                               .where(submissions.c.id == sid).with_for_update()).first()
            if row is None:
                raise BenchError(f"no submission {sid}")
            if status not in TRANSITIONS.get(row.status, ()):
                raise BenchError(f"submission {sid} is {row.status}: it cannot become {status}")
            _check_claim(sid, row, worker)
            conn.execute(submissions.update().where(submissions.c.id == sid).values(
                status=status, status_at=at, worker=worker, error=detail if status == "failed" else None,
                error_code=code if status == "failed" else None, lease_until=None))
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
    def add_results(self, sid: int, parts: Mapping[str, tuple[str, bytes | None]], estimate: Estimate | None,
                    worker: str | None = None, public: tuple[dict, Estimate] | None = None) -> dict[str, str]:
        """Store a scoring submission's result files (part -> (text, statistics)), its ranking
        estimate and, on a track with a public/private split, its public view (part -> metrics on
        the public ids, and their estimate) in one transaction, then mark it scored; return part ->
        SHA-256."""
        shas = {}
        with self._begin() as conn:
            row = conn.execute(sa.select(submissions.c.status, submissions.c.worker, submissions.c.job_dir)
                               .where(submissions.c.id == sid).with_for_update()).first()
            if row is None or row.status != "scoring":
                raise BenchError(f"submission {sid} is {row.status if row else 'missing'}: results are stored while it is scoring")
            _check_claim(sid, row, worker)
            at = now()
            for part, (text, statistics) in parts.items():
                sha = sha256_hex(text)
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
            if public is not None:
                view, pe = public
                conn.execute(public_results.insert().values(
                    submission_id=sid, view=json.dumps(view, allow_nan=True), metric=pe.metric, value=_real(pe.value),
                    low=_real(pe.low), high=_real(pe.high), seed=pe.seed, resamples=pe.resamples,
                    draws=np.asarray(pe.draws, "<f8").tobytes()))
            conn.execute(submissions.update().where(submissions.c.id == sid).values(status="scored", status_at=at,
                                                                                    lease_until=None))
            conn.execute(events.insert().values(submission_id=sid, status="scored", at=at, worker=worker))
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

    def public_result(self, sid: int) -> tuple[dict, Estimate] | None:
        """(part -> metrics on the public ids, their ranking estimate) of a submission scored on a
        track with a public/private split; None otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(public_results).where(public_results.c.submission_id == sid)).first()
        if row is None:
            return None
        return json.loads(row.view), Estimate(row.metric, row.value, row.low, row.high, row.seed, row.resamples,
                                              np.frombuffer(row.draws, "<f8").copy())

    # -- rankings -------------------------------------------------------------------------
    def add_ranking(self, track: str, cause: int, rows: Iterable[tuple[int, int | None, float | None]],
                    scored: set[int] | None = None) -> int | None:
        """Append a ranking snapshot: (submission, position or None, p-value or None) rows. With
        `scored`, only while exactly those submissions of the track are scored (None otherwise):
        the track's row is locked first, so snapshots are appended one at a time."""
        with self._begin() as conn:
            # A no-op write: the row lock on PostgreSQL, the write lock on SQLite, before reading.
            conn.execute(tracks.update().where(tracks.c.name == track).values(registered_at=tracks.c.registered_at))
            if scored is not None:
                now_scored = set(conn.execute(sa.select(submissions.c.id).where(
                    submissions.c.track == track, submissions.c.status == "scored")).scalars())
                if now_scored != scored:
                    return None
            return _insert_ranking(conn, track, cause, rows)

    def freeze_phase(self, track: str, cause: int | None, rows: Iterable[tuple[int, int | None, float | None]],
                     scored: set[int]) -> int | None:
        """Close the track's public phase and, with a `cause` (the newest scored submission; None
        when nothing is scored), append the ranking snapshot `rows` on the full split, in one
        transaction and only while exactly `scored` are scored (None otherwise, as `add_ranking`).
        Return the snapshot's id (0 without one)."""
        with self._begin() as conn:
            conn.execute(tracks.update().where(tracks.c.name == track).values(registered_at=tracks.c.registered_at))
            if conn.execute(sa.select(public_splits.c.track).where(public_splits.c.track == track)).first() is None:
                raise BenchError(f"track {track} has no public/private split (freeze its GT pack with "
                                 "--public-fraction): there is no phase to close")
            _check_open(conn, track)
            now_scored = set(conn.execute(sa.select(submissions.c.id).where(
                submissions.c.track == track, submissions.c.status == "scored")).scalars())
            if now_scored != scored:
                return None
            rid = _insert_ranking(conn, track, cause, rows) if cause is not None else None
            conn.execute(phase_freezes.insert().values(track=track, frozen_at=now(), ranking_id=rid))
        return rid or 0

    def latest_ranking(self, track: str) -> dict[int, tuple[int | None, float | None]]:
        """submission -> (position, p-value) in the track's newest snapshot ({} before any)."""
        with self.engine.connect() as conn:
            rid = conn.execute(sa.select(sa.func.max(rankings.c.id)).where(rankings.c.track == track)).scalar()
            if rid is None:
                return {}
            rows = conn.execute(sa.select(ranking_rows).where(ranking_rows.c.ranking_id == rid))
            return {r.submission_id: (r.position, r.p_value) for r in rows}


    # -- teams and uploads (the submission server) ---------------------------------------------
    def add_team(self, name: str, token_sha256: str, daily_limit: int | None = None,
                 phase_limit: int | None = None) -> int:
        """Register a team by the SHA-256 of its token (the token itself is never stored)."""
        if not isinstance(name, str) or not 0 < len(name) <= TEXT:
            raise BenchError(f"a team name is a text of 1 to {TEXT} characters")
        with self._begin() as conn:
            if conn.execute(sa.select(teams.c.id).where(teams.c.name == name)).first() is not None:
                raise BenchError(f"team '{name}' already exists")
            tid = conn.execute(teams.insert().values(name=name, token_sha256=token_sha256, daily_limit=daily_limit,
                                                     phase_limit=phase_limit, created_at=now())).inserted_primary_key[0]
        return int(tid)

    def team_by_token(self, token_sha256: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(teams).where(teams.c.token_sha256 == token_sha256)).first()
        return None if row is None else dict(row._mapping)

    def teams(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(teams).order_by(teams.c.id))]

    def new_upload(self, track: str, team_id: int, job_dir: str, day_start: str, *, method: str,
                   supervision: str = "unknown", training_data: str = "unknown") -> int:
        """Queue an uploaded submission of team `team_id` whose files lie in `job_dir`, unless
        that would pass the team's limits: then a QuotaExceeded names the limit. The team's row
        is locked first, so concurrent uploads of one team count one after the other."""
        at = now()
        with self._begin() as conn:
            # An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before counting.
            conn.execute(teams.update().where(teams.c.id == team_id).values(last_upload_at=at))
            team = conn.execute(sa.select(teams).where(teams.c.id == team_id)).first()
            if team is None:
                raise BenchError(f"no team {team_id}")
            if conn.execute(sa.select(tracks.c.name).where(tracks.c.name == track)).first() is None:
                raise BenchError(f"track {track} is not registered in this store")
            _check_open(conn, track)
            _check_quota(conn, team, track, day_start)
            fields = {"method": method, "supervision": supervision, "training_data": training_data}
            for key, value in fields.items():
                if not isinstance(value, str) or not 0 < len(value) <= TEXT:
                    raise BenchError(f"submission {key} must be a text of 1 to {TEXT} characters")
            sid = conn.execute(submissions.insert().values(
                track=track, tier="rescored", submitter=team.name, submitted_at=at, status="queued", status_at=at,
                team_id=team_id, job_dir=job_dir, attempts=0, **fields)).inserted_primary_key[0]
            conn.execute(events.insert().values(submission_id=sid, status="queued", at=at))
        return int(sid)

    def check_quota(self, team_id: int, track: str, day_start: str) -> None:
        """Raise QuotaExceeded when team `team_id` has no submission to `track` left (checked
        again when the upload is queued: this is the early answer, before the body is read)."""
        with self.engine.connect() as conn:
            team = conn.execute(sa.select(teams).where(teams.c.id == team_id)).first()
            if team is not None:
                _check_quota(conn, team, track, day_start)

    def claim(self, track_names: Iterable[str], worker: str, lease_s: float) -> dict | None:
        """Claim the oldest upload of `track_names` that is queued, or scoring under a lease that
        ran out (its worker died): it becomes scoring under `worker` with a fresh lease. None when
        there is none. Two workers never hold the same job."""
        at = now()
        claimable = sa.and_(submissions.c.track.in_(list(track_names)), submissions.c.job_dir.is_not(None),
                            sa.or_(submissions.c.status == "queued",
                                   sa.and_(submissions.c.status == "scoring", submissions.c.lease_until < at)))
        values = {"status": "scoring", "status_at": at, "worker": worker, "lease_until": lease_at(lease_s),
                  "attempts": submissions.c.attempts + 1}
        with self._begin() as conn:
            if conn.dialect.name == "postgresql":
                pick = conn.execute(sa.select(submissions.c.id).where(claimable).order_by(submissions.c.id).limit(1)
                                    .with_for_update(skip_locked=True)).scalar()
            else:
                # One statement: SQLite runs it under its write lock, so the pick and the move are one step.
                pick = sa.select(submissions.c.id).where(claimable).order_by(submissions.c.id).limit(1).scalar_subquery()
            if pick is None:
                return None
            got = conn.execute(submissions.update().where(submissions.c.id == pick, claimable).values(**values)
                               .returning(submissions.c.id, submissions.c.attempts)).first()
            if got is None:
                return None
            sid = got.id
            conn.execute(events.insert().values(submission_id=sid, status="scoring", at=at, worker=worker,
                                                detail="claimed again: the previous worker's lease ran out"
                                                if got.attempts > 1 else None))
            row = conn.execute(sa.select(submissions).where(submissions.c.id == sid)).first()
        return dict(row._mapping)

    def heartbeat(self, sid: int, worker: str, lease_s: float) -> bool:
        """Extend `worker`'s lease on scoring job `sid`; False when it no longer holds it."""
        with self._begin() as conn:
            done = conn.execute(submissions.update().where(
                submissions.c.id == sid, submissions.c.worker == worker, submissions.c.status == "scoring")
                .values(lease_until=lease_at(lease_s)))
        return done.rowcount == 1

    def queued(self) -> int:
        """Uploads waiting for a worker (queued, or scoring under a lease that ran out)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(submissions).where(
                submissions.c.job_dir.is_not(None), sa.or_(submissions.c.status == "queued", sa.and_(
                    submissions.c.status == "scoring", submissions.c.lease_until < now()))) ).scalar()


class _Transaction:
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


class PhaseClosed(BenchError):
    """A submission to a track whose phase the organiser froze."""

    def __init__(self, track: str, frozen_at: str):
        self.track, self.frozen_at = track, frozen_at
        super().__init__(f"track {track}: the phase was frozen at {frozen_at}; it takes no more submissions")


class QuotaExceeded(BenchError):
    """An upload over one of its team's limits (`kind`: daily_limit or phase_limit)."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        super().__init__(f"{kind.replace('_', ' ')} of {limit} submission(s) reached")


def lease_at(seconds: float) -> str:
    return utc_stamp(after_seconds=seconds)


def _check_quota(conn: sa.Connection, team: Any, track: str, day_start: str) -> None:
    mine = sa.select(sa.func.count()).select_from(submissions).where(submissions.c.team_id == team.id,
                                                                     submissions.c.track == track)
    if team.phase_limit is not None and conn.execute(mine).scalar() >= team.phase_limit:
        raise QuotaExceeded("phase_limit", team.phase_limit)
    if team.daily_limit is not None and conn.execute(
            mine.where(submissions.c.submitted_at >= day_start)).scalar() >= team.daily_limit:
        raise QuotaExceeded("daily_limit", team.daily_limit)


def _check_open(conn: sa.Connection, track: str) -> None:
    frozen = conn.execute(sa.select(phase_freezes.c.frozen_at).where(phase_freezes.c.track == track)).scalar()
    if frozen is not None:
        raise PhaseClosed(track, frozen)


def _insert_ranking(conn: sa.Connection, track: str, cause: int,
                    rows: Iterable[tuple[int, int | None, float | None]]) -> int:
    rid = conn.execute(rankings.insert().values(track=track, cause=cause, computed_at=now())).inserted_primary_key[0]
    values = [{"ranking_id": rid, "submission_id": s, "position": pos, "p_value": _real(p)} for s, pos, p in rows]
    if values:
        conn.execute(ranking_rows.insert(), values)
    return int(rid)


def _check_claim(sid: int, row: Any, worker: str | None) -> None:
    """An upload being scored is finished only by the worker that holds its claim: a worker whose
    lease ran out (and whose job another worker took over) cannot store a second outcome."""
    if row.job_dir is not None and row.status == "scoring" and row.worker != worker:
        raise BenchError(f"submission {sid} is claimed by worker {row.worker}, not {worker}")


def _upgrade_from_1(conn: sa.Connection) -> None:
    """Schema 1 -> 2: the tables are created by `create_all`; the new columns of `submissions`
    are added (NULL, or 0 attempts, for the submissions already there)."""
    for name in V2_COLUMNS:
        column = submissions.c[name]
        default = " DEFAULT 0 NOT NULL" if name == "attempts" else ""
        conn.execute(sa.text(f"ALTER TABLE submissions ADD COLUMN {name} {column.type.compile(conn.dialect)}{default}"))
    # schema 3's tables were made by create_all
    conn.execute(info.update().where(info.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _real(value: float | None) -> float | None:
    """NaN as NULL: SQLite would store NaN as NULL anyway, PostgreSQL would keep it; both read None."""
    return None if value is None or value != value else float(value)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver begins nothing itself: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the page builder, part 2's server) never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A writing transaction takes SQLite's write lock when it begins: one that read first and wrote
    # later could not wait for a concurrent writer (WAL mode answers SQLITE_BUSY at once), and
    # several workers and the server write at the same time.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bench_write") else "BEGIN")
