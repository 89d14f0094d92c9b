"""Tracks, their phases, submissions, their results and the rankings (the store's board half).

A scored submission's results, its ranking estimate and its track's new ranking snapshot are
stored in one transaction, under the track's row lock: a scored entry is never left unranked (a
scoring process killed after it is scored has nothing left to write), and snapshots are computed
one at a time, each over every scored entry, so the newest one is never stale."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

import numpy as np
import sqlalchemy as sa

from benchmark.errors import BenchError
from benchmark.hashing import sha256_hex

from ..ranking import entry_of, rank
from ..track import Track
from ..values import TIERS, Estimate, PhaseClosed, ids_sha256
from .schema import (MAX_ID, TEXT, documents, estimates, events, lock_track, now, phase_events, public_results,
                     public_splits, ranking_rows, rankings, real, results, submissions, tracks)

STATUSES = ("queued", "scoring", "scored", "failed")
TRANSITIONS = {"queued": ("scoring", "failed"), "scoring": ("scored", "failed")}
Rows = Iterable[tuple[int, int | None, float | None]]


class Submissions:
    """Mixed into `Store` (store/__init__.py) with the connection (`schema.Database`)."""

    engine: sa.Engine

    # -- tracks and phases ----------------------------------------------------------------
    def register_track(self, track: Track, split_hash: str, public_ids: list[str] | None = None) -> None:
        """Record the track's definition, split hash and public ids (None: no public/private
        split) once; a later pack of the same track must match all three, so that one board never
        mixes scoring rules, splits or phases."""
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

    def phase(self, track: str) -> tuple[int, str | None]:
        """(the track's current phase, when it was frozen; None while it is open)."""
        with self.engine.connect() as conn:
            return _phase(conn, track)

    def frozen_at(self, track: str) -> str | None:
        """When the organiser froze the track's current phase; None while it is open."""
        return self.phase(track)[1]

    def is_public(self, track: str) -> bool:
        """Whether the track's boards show the public ids only: it has a public/private split and
        its first phase is still open (the freeze reveals the whole split for good)."""
        return self.public_ids(track) is not None and self.phase(track) == (1, None)

    def tracks(self) -> list[tuple[Track, str]]:
        """Registered tracks (definition as registered, split hash), by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tracks).order_by(tracks.c.name)).all()
        return [(Track.from_json(json.loads(r.definition)), r.split_manifest_hash) for r in rows]

    def freeze_phase(self, track: str) -> int:
        """Close the track's current phase and append a ranking snapshot on the whole split with
        the freeze, in one transaction; return the snapshot's id (0 when nothing is scored).
        Submissions are refused from then on, until a new phase is opened."""
        with self._begin() as conn:
            lock_track(conn, track)
            number, frozen = _phase(conn, track)
            if number == 1 and conn.execute(sa.select(public_splits.c.track)
                                            .where(public_splits.c.track == track)).first() is None:
                raise BenchError(f"track {track} has no public/private split (freeze its GT pack with "
                                 "--public-fraction): there is no phase to close")
            if frozen is not None:
                raise PhaseClosed(track, frozen)
            rid = _rank(conn, track, public=False)
            conn.execute(phase_events.insert().values(track=track, phase=number, event="freeze", at=now(),
                                                      ranking_id=rid))
        return rid or 0

    def open_phase(self, track: str) -> int:
        """Start the next phase of a track whose phase was frozen: it takes submissions again,
        ranked on the whole split, and the teams' phase limits count from now; return its number."""
        with self._begin() as conn:
            lock_track(conn, track)
            if conn.execute(sa.select(tracks.c.name).where(tracks.c.name == track)).first() is None:
                raise BenchError(f"track {track} is not registered in this store")
            number, frozen = _phase(conn, track)
            if frozen is None:
                raise BenchError(f"track {track}: phase {number} is open; freeze it first (bench leaderboard phase "
                                 "freeze)")
            conn.execute(phase_events.insert().values(track=track, phase=number + 1, event="open", at=now()))
        return number + 1

    # -- submissions ----------------------------------------------------------------------
    def new_submission(self, track: str, *, method: str, submitter: str, tier: str, supervision: str = "unknown",
                       training_data: str = "unknown", checkpoint: str | None = None, source: str | None = None,
                       submitted_at: str | None = None) -> int:
        """Queue a submission; return its id."""
        if tier not in TIERS:
            raise BenchError(f"provenance tier '{tier}' (known: {', '.join(TIERS)})")
        fields = {"method": method, "submitter": submitter, "supervision": supervision,
                  "training_data": training_data, "checkpoint": checkpoint, "source": source}
        check_texts(fields)
        at = submitted_at or now()
        with self._begin() as conn:
            if conn.execute(sa.select(tracks.c.name).where(tracks.c.name == track)).first() is None:
                raise BenchError(f"track {track} is not registered in this store")
            if tier != "reported":  # a paper's numbers compete for nothing: they may still be added
                check_open(conn, track)
            sid = conn.execute(submissions.insert().values(track=track, tier=tier, submitted_at=at, status="queued",
                                                           status_at=at, **fields)).inserted_primary_key[0]
            conn.execute(events.insert().values(submission_id=sid, status="queued", at=at))
        return int(sid)

    def set_status(self, sid: int, status: str, worker: str | None = None, detail: str | None = None,
                   code: str | None = None) -> None:
        """Move a submission to scoring or failed (queued -> scoring -> failed), under a row lock;
        `add_results` makes it scored. An upload's outcome is stored only by the worker holding its
        claim (`claim`)."""
        if status == "scored":
            raise BenchError("a submission becomes scored with its results (add_results)")
        at = now()
        with self._begin() as conn:
            row = conn.execute(sa.select(submissions.c.status, submissions.c.worker, submissions.c.job_dir)
                               .where(submissions.c.id == _id(sid)).with_for_update()).first()
            if row is None:
                raise BenchError(f"no submission {sid}")
            if status not in TRANSITIONS.get(row.status, ()):
                raise BenchError(f"submission {sid} is {row.status}: it cannot become {status}")
            check_claim(sid, row, worker)
            conn.execute(submissions.update().where(submissions.c.id == sid).values(
                status=status, status_at=at, worker=worker, error=detail if status == "failed" else None,
                error_code=code if status == "failed" else None, lease_until=None))
            conn.execute(events.insert().values(submission_id=sid, status=status, at=at, worker=worker, detail=detail))

    def submission(self, sid: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(submissions).where(submissions.c.id == _id(sid))).first()
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
            rows = conn.execute(sa.select(events).where(events.c.submission_id == _id(sid)).order_by(events.c.id))
            return [dict(r._mapping) for r in rows]

    # -- results --------------------------------------------------------------------------
    def add_results(self, sid: int, parts: Mapping[str, tuple[str, bytes | None]], estimate: Estimate | None,
                    worker: str | None = None, public: tuple[dict, Estimate] | None = None) -> dict[str, str]:
        """Store a scoring submission's result files (part -> (text, statistics)), its ranking
        estimate and, on a track with a public/private split, its public view (part -> metrics on
        the public ids, and their estimate), mark it scored and append its track's ranking
        snapshot, all in one transaction; return part -> SHA-256."""
        shas = {}
        with self._begin() as conn:
            track = conn.execute(sa.select(submissions.c.track).where(submissions.c.id == _id(sid))).scalar()
            if track is None:
                raise BenchError(f"no submission {sid}")
            lock_track(conn, track)  # first the track, then the submission: every writer takes them in this order
            row = conn.execute(sa.select(submissions.c.status, submissions.c.worker, submissions.c.job_dir)
                               .where(submissions.c.id == sid).with_for_update()).first()
            if row.status != "scoring":
                raise BenchError(f"submission {sid} is {row.status}: results are stored while it is scoring")
            check_claim(sid, row, worker)
            at = now()
            for part, (text, statistics) in parts.items():
                sha = sha256_hex(text)
                if conn.execute(sa.select(documents.c.sha256).where(documents.c.sha256 == sha)).first() is None:
                    conn.execute(documents.insert().values(sha256=sha, text=text))
                conn.execute(results.insert().values(submission_id=sid, part=part, sha256=sha, statistics=statistics,
                                                     stored_at=at))
                shas[part] = sha
            if estimate is not None:
                conn.execute(estimates.insert().values(submission_id=sid, **_estimate_values(estimate)))
            if public is not None:
                view, pe = public
                conn.execute(public_results.insert().values(submission_id=sid, view=json.dumps(view, allow_nan=True),
                                                            **_estimate_values(pe)))
            conn.execute(submissions.update().where(submissions.c.id == sid).values(status="scored", status_at=at,
                                                                                    lease_until=None))
            conn.execute(events.insert().values(submission_id=sid, status="scored", at=at, worker=worker))
            _rank(conn, track, cause=sid)
        return shas

    def results(self, sid: int) -> dict[str, tuple[str, str]]:
        """part -> (SHA-256, result file text) of a submission."""
        with self.engine.connect() as conn:
            return _results(conn, _id(sid))

    def statistics(self, sid: int, part: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(results.c.statistics).where(results.c.submission_id == _id(sid),
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
            return _estimate(conn, estimates, _id(sid))

    def public_result(self, sid: int) -> tuple[dict, Estimate] | None:
        """(part -> metrics on the public ids, their ranking estimate) of a submission scored on a
        track with a public/private split; None otherwise."""
        with self.engine.connect() as conn:
            return _public_result(conn, _id(sid))

    # -- rankings -------------------------------------------------------------------------
    def latest_ranking(self, track: str) -> dict[int, tuple[int | None, float | None]]:
        """submission -> (position, p-value) in the track's newest snapshot ({} before any)."""
        with self.engine.connect() as conn:
            rid = conn.execute(sa.select(sa.func.max(rankings.c.id)).where(rankings.c.track == track)).scalar()
            if rid is None:
                return {}
            rows = conn.execute(sa.select(ranking_rows).where(ranking_rows.c.ranking_id == rid))
            return {r.submission_id: (r.position, r.p_value) for r in rows}

    def ensure_ranked(self, track: str) -> int | None:
        """Append a snapshot when a scored entry is missing from the track's newest one (a store
        written by an older bench, whose scoring process could die between the two); return its
        id, None when the newest snapshot already covers every scored entry."""
        with self._begin() as conn:
            lock_track(conn, track)
            scored = set(conn.execute(sa.select(submissions.c.id).where(submissions.c.track == track,
                                                                        submissions.c.status == "scored")).scalars())
            rid = conn.execute(sa.select(sa.func.max(rankings.c.id)).where(rankings.c.track == track)).scalar()
            ranked = set() if rid is None else set(conn.execute(
                sa.select(ranking_rows.c.submission_id).where(ranking_rows.c.ranking_id == rid)).scalars())
            if scored <= ranked:
                return None
            return _rank(conn, track, cause=max(scored - ranked))


# -- in a transaction -----------------------------------------------------------------------
def _rank(conn: sa.Connection, track: str, cause: int | None = None, public: bool | None = None) -> int | None:
    """Append the ranking snapshot of every scored entry of `track` (the caller holds its row
    lock); `public` (default: the track's phase says) ranks on the public views. None when nothing
    is scored."""
    definition = conn.execute(sa.select(tracks.c.definition).where(tracks.c.name == track)).scalar()
    spec = Track.from_json(json.loads(definition))
    if public is None:
        public = (conn.execute(sa.select(public_splits.c.track).where(public_splits.c.track == track)).first()
                  is not None and _phase(conn, track) == (1, None))
    entries = []
    for sub in conn.execute(sa.select(submissions.c.id, submissions.c.tier, submissions.c.submitted_at)
                            .where(submissions.c.track == track, submissions.c.status == "scored")
                            .order_by(submissions.c.id)).all():
        # A reported row has no public view: its paper numbers stand as they are (never ranked either way).
        shown = _public_result(conn, sub.id) if public else None
        if shown is None:
            shown = ({part: json.loads(text) for part, (_, text) in _results(conn, sub.id).items()},
                     _estimate(conn, estimates, sub.id))
        view, estimate = shown
        entries.append(entry_of(spec, sub.id, sub.tier, sub.submitted_at, view,
                                None if estimate is None else estimate.draws))
    if not entries:
        return None
    rid = conn.execute(rankings.insert().values(track=track, cause=cause if cause is not None else entries[-1].sid,
                                                computed_at=now())).inserted_primary_key[0]
    conn.execute(ranking_rows.insert(), [{"ranking_id": rid, "submission_id": s, "position": pos, "p_value": real(p)}
                                         for s, pos, p in rank(entries)])
    return int(rid)


def _phase(conn: sa.Connection, track: str) -> tuple[int, str | None]:
    rows = conn.execute(sa.select(phase_events.c.phase, phase_events.c.event, phase_events.c.at)
                        .where(phase_events.c.track == track).order_by(phase_events.c.id)).all()
    number = max((r.phase for r in rows), default=1)
    frozen = next((r.at for r in rows if r.phase == number and r.event == "freeze"), None)
    return number, frozen


def phase_opened_at(conn: sa.Connection, track: str) -> str | None:
    """When the track's current phase was opened; None for its first phase (open since registered)."""
    number, _ = _phase(conn, track)
    return conn.execute(sa.select(phase_events.c.at).where(phase_events.c.track == track, phase_events.c.phase == number,
                                                           phase_events.c.event == "open")).scalar()


def check_open(conn: sa.Connection, track: str) -> None:
    frozen = _phase(conn, track)[1]
    if frozen is not None:
        raise PhaseClosed(track, frozen)


def check_texts(fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= TEXT):
            raise BenchError(f"submission {key} must be a text of 1 to {TEXT} characters")


def check_claim(sid: int, row: Any, worker: str | None) -> None:
    """An upload being scored is finished only by the worker that holds its claim: a worker whose
    lease ran out (and whose job another worker took over) cannot store a second outcome."""
    if row.job_dir is not None and row.status == "scoring" and row.worker != worker:
        raise BenchError(f"submission {sid} is claimed by worker {row.worker}, not {worker}")


def _id(sid: int) -> int:
    """A submission id the database can hold; any other names no submission."""
    if not isinstance(sid, int) or not 0 < sid <= MAX_ID:
        raise BenchError(f"no submission {sid}")
    return sid


def _results(conn: sa.Connection, sid: int) -> dict[str, tuple[str, str]]:
    query = (sa.select(results.c.part, results.c.sha256, documents.c.text)
             .join(documents, documents.c.sha256 == results.c.sha256)
             .where(results.c.submission_id == sid).order_by(results.c.id))
    return {r.part: (r.sha256, r.text) for r in conn.execute(query)}


def _estimate(conn: sa.Connection, table: sa.Table, sid: int) -> Estimate | None:
    row = conn.execute(sa.select(table).where(table.c.submission_id == sid)).first()
    if row is None:
        return None
    return Estimate(row.metric, row.value, row.low, row.high, row.seed, row.resamples,
                    np.frombuffer(row.draws, "<f8").copy())


def _public_result(conn: sa.Connection, sid: int) -> tuple[dict, Estimate] | None:
    view = conn.execute(sa.select(public_results.c.view).where(public_results.c.submission_id == sid)).scalar()
    return None if view is None else (json.loads(view), _estimate(conn, public_results, sid))


def _estimate_values(e: Estimate) -> dict:
    return {"metric": e.metric, "value": real(e.value), "low": real(e.low), "high": real(e.high), "seed": e.seed,
            "resamples": e.resamples, "draws": np.asarray(e.draws, "<f8").tobytes()}
