"""Teams, uploads and the scoring queue (the store's server half).

A worker claims an upload with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (one atomic
`UPDATE ... RETURNING` on SQLite) and keeps its lease alive while it scores; a job whose lease ran
out (its worker died) is claimed again, and only the worker holding the claim may store its
outcome, so it is scored once. A team's limits count its submissions to a track per UTC day and
over the track's current phase, under the team's row lock."""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa

from benchmark.errors import BenchError

from ..values import QuotaExceeded
from .schema import TEXT, events, lease_at, now, submissions, teams, tracks
from .submissions import check_open, check_texts, phase_opened_at


class Queue:
    """Mixed into `Store` (store/__init__.py) with the connection (`schema.Database`)."""

    engine: sa.Engine

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
        fields = {"method": method, "supervision": supervision, "training_data": training_data}
        check_texts(fields)
        with self._begin() as conn:
            # An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before counting.
            conn.execute(teams.update().where(teams.c.id == team_id).values(last_upload_at=at))
            team = conn.execute(sa.select(teams).where(teams.c.id == team_id)).first()
            if team is None:
                raise BenchError(f"no team {team_id}")
            if conn.execute(sa.select(tracks.c.name).where(tracks.c.name == track)).first() is None:
                raise BenchError(f"track {track} is not registered in this store")
            check_open(conn, track)
            _check_quota(conn, team, track, day_start)
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
                    submissions.c.status == "scoring", submissions.c.lease_until < now())))).scalar()

    def job_dirs(self) -> set[str]:
        """The job folders the store's uploads refer to."""
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(submissions.c.job_dir).where(submissions.c.job_dir.is_not(None))).scalars())


def _check_quota(conn: sa.Connection, team: Any, track: str, day_start: str) -> None:
    mine = sa.select(sa.func.count()).select_from(submissions).where(submissions.c.team_id == team.id,
                                                                     submissions.c.track == track)
    opened = phase_opened_at(conn, track)
    in_phase = mine if opened is None else mine.where(submissions.c.submitted_at >= opened)
    if team.phase_limit is not None and conn.execute(in_phase).scalar() >= team.phase_limit:
        raise QuotaExceeded("phase_limit", team.phase_limit)
    if team.daily_limit is not None and conn.execute(
            mine.where(submissions.c.submitted_at >= day_start)).scalar() >= team.daily_limit:
        raise QuotaExceeded("daily_limit", team.daily_limit)
