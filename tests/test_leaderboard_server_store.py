"""The store's side of the server, on SQLite and on PostgreSQL (when a server can be started):
concurrent claims never hand one job to two workers, a job whose lease ran out is claimed again
and only its newest holder may store an outcome, concurrent uploads of one team never pass its
limit, concurrent rankings never lose an entry, and a schema-1 store is upgraded in place."""
import sqlite3
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from benchmark.errors import BenchError
from benchmark.leaderboards.store import SCHEMA_VERSION, Store
from benchmark.leaderboards.values import QuotaExceeded
from benchmark.leaderboards.teams import day_start, token_hash
from benchmark.leaderboards.track import Track

TRACK = Track(name="t", title="t", dataset="diffseg", split="val", task="binary", rank_by="miou")


@pytest.fixture
def store(store_url):
    s = Store.create(store_url)
    s.register_track(TRACK, "0" * 64)
    return s


def _team(store: Store, name: str = "team", daily=None, phase=None) -> int:
    return store.add_team(name, token_hash(f"token-{name}"), daily, phase)


def _uploads(store: Store, n: int, team: int) -> list[int]:
    return [store.new_upload("t", team, f"/jobs/{k}", day_start(), method="m") for k in range(n)]


def _parallel(fn, n: int) -> list:
    out, lock = [], threading.Lock()

    def run():
        got = fn()
        with lock:
            out.extend(got)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_claims_hand_each_job_to_one_worker(store):
    ids = _uploads(store, 24, _team(store))

    def drain():
        mine, name = [], f"w-{uuid.uuid4().hex[:6]}"
        while (job := store.claim(["t"], name, 60)) is not None:
            mine.append(job["id"])
        return mine

    claimed = _parallel(drain, 6)
    assert sorted(claimed) == ids  # every job once, none twice
    assert all(store.submission(i)["attempts"] == 1 for i in ids)
    assert store.claim(["t"], "late", 60) is None and store.queued() == 0
    assert store.claim(["other-track"], "w", 60) is None


def test_an_expired_lease_is_claimed_again_and_only_the_new_holder_stores(store):
    sid, = _uploads(store, 1, _team(store))
    first = store.claim(["t"], "A", 1.0)
    assert first["id"] == sid and first["worker"] == "A" and first["attempts"] == 1
    assert store.claim(["t"], "B", 60) is None  # A's lease still runs
    time.sleep(1.1)
    assert store.queued() == 1
    again = store.claim(["t"], "C", 60)
    assert again["id"] == sid and again["attempts"] == 2 and again["worker"] == "C"
    assert "lease ran out" in store.history(sid)[-1]["detail"]
    holder = "C"
    assert not store.heartbeat(sid, "A", 60)
    with pytest.raises(BenchError, match="claimed by worker"):
        store.add_results(sid, {"clean": ("{}\n", None)}, None, worker="A")
    with pytest.raises(BenchError, match="claimed by worker"):
        store.set_status(sid, "failed", "A", "late", code="timeout")
    assert store.heartbeat(sid, holder, 60)
    store.add_results(sid, {"clean": ("{}\n", None)}, None, worker=holder)
    assert store.submission(sid)["status"] == "scored" and store.submission(sid)["lease_until"] is None
    assert [h["status"] for h in store.history(sid)].count("scored") == 1
    assert store.claim(["t"], "D", 60) is None


def test_concurrent_uploads_never_pass_the_limits(store):
    daily = _team(store, "daily", daily=5)
    phase = _team(store, "phase", phase=3)

    def burst(team):
        def go():
            try:
                return [store.new_upload("t", team, "/jobs/x", day_start(), method="m")]
            except QuotaExceeded as exc:
                return [exc.kind]
        return go

    assert sorted(map(str, _parallel(burst(daily), 12))).count("daily_limit") == 7
    assert sorted(map(str, _parallel(burst(phase), 8))).count("phase_limit") == 5
    counts = {}
    for s in store.submissions("t"):
        counts[s["team_id"]] = counts.get(s["team_id"], 0) + 1
    assert counts == {daily: 5, phase: 3}
    with pytest.raises(QuotaExceeded):
        store.check_quota(phase, "t", day_start())
    with pytest.raises(BenchError, match="already exists"):
        _team(store, "daily")


def _snapshots(store: Store) -> list[tuple[int, set[int]]]:
    from benchmark.leaderboards.store.schema import ranking_rows, rankings

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rankings.c.id, ranking_rows.c.submission_id)
                            .join(ranking_rows, ranking_rows.c.ranking_id == rankings.c.id).order_by(rankings.c.id)).all()
    out: dict[int, set[int]] = {}
    for rid, sid in rows:
        out.setdefault(rid, set()).add(sid)
    return sorted(out.items())


def test_concurrent_scorings_rank_one_at_a_time_and_the_newest_ranking_covers_every_entry(store):
    """Each scored entry is stored with its track's new ranking in one transaction, under the
    track's lock: snapshots grow one entry at a time, none is computed from a stale view."""
    ids = _uploads(store, 12, _team(store))

    def score():
        name, done = f"w-{uuid.uuid4().hex[:6]}", []
        while (job := store.claim(["t"], name, 60)) is not None:
            store.add_results(job["id"], {"clean": ('{"metrics": {"miou": %s}}\n' % (job["id"] / 100), None)}, None,
                              worker=name)
            done.append(job["id"])
        return done

    assert sorted(_parallel(score, 4)) == ids
    snapshots = _snapshots(store)
    assert [len(rows) for _, rows in snapshots] == list(range(1, len(ids) + 1))
    assert all(a < b for (_, a), (_, b) in zip(snapshots, snapshots[1:]))  # each covers the one before
    latest = store.latest_ranking("t")
    assert set(latest) == set(ids) and [latest[i][0] for i in sorted(ids, reverse=True)] == list(range(1, 13))


def test_a_scored_entry_missing_from_the_ranking_is_ranked_on_start(store):
    """A store written by an older bench could hold a scored entry its ranking misses (the
    scoring process died between the two): the server and every worker rank it when they start."""
    from benchmark.leaderboards.store.schema import submissions

    sid = _uploads(store, 1, _team(store))[0]
    store.claim(["t"], "w", 60)
    store.add_results(sid, {"clean": ('{"metrics": {"miou": 0.5}}\n', None)}, None, worker="w")
    late = store.new_upload("t", store.teams()[0]["id"], "/jobs/late", day_start(), method="m")
    with store.engine.begin() as conn:  # what the older bench left: scored, no snapshot of its own
        conn.execute(submissions.update().where(submissions.c.id == late).values(status="scored"))
    assert late not in store.latest_ranking("t")
    rid = store.ensure_ranked("t")
    assert rid is not None and set(store.latest_ranking("t")) == {sid, late}
    assert store.ensure_ranked("t") is None  # nothing to do a second time


def test_a_schema_1_store_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the version-1 tables that matter here, as part 1 made them
        db.executescript("""
            CREATE TABLE bench_info (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO bench_info VALUES ('schema_version', '1');
            CREATE TABLE tracks (name VARCHAR(100) PRIMARY KEY, definition TEXT NOT NULL,
                                 split_manifest_hash VARCHAR(64) NOT NULL, registered_at VARCHAR(32) NOT NULL);
            CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, track VARCHAR(100) NOT NULL,
                method VARCHAR(1000) NOT NULL, submitter VARCHAR(1000) NOT NULL, tier VARCHAR(16) NOT NULL,
                supervision VARCHAR(1000) NOT NULL, training_data VARCHAR(1000) NOT NULL, checkpoint VARCHAR(1000),
                source VARCHAR(1000), submitted_at VARCHAR(32) NOT NULL, status VARCHAR(16) NOT NULL,
                status_at VARCHAR(32) NOT NULL, worker VARCHAR(1000), error TEXT);
            INSERT INTO tracks VALUES ('t', '{}', 'h', '2030');
            INSERT INTO submissions (track, method, submitter, tier, supervision, training_data, submitted_at,
                                     status, status_at) VALUES ('t', 'm', 's', 'rescored', 'u', 'u', '2030', 'scored', '2030');
        """)
    with pytest.raises(BenchError, match=f"schema version 1, this bench reads version {SCHEMA_VERSION}"):
        Store(path)
    upgraded = Store.create(path)
    old = upgraded.submission(1)
    assert old["attempts"] == 0 and old["team_id"] is None and old["job_dir"] is None
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM bench_info")).scalar() == str(SCHEMA_VERSION)
    assert upgraded.teams() == []


def test_a_schema_3_freeze_becomes_the_freeze_of_phase_1(tmp_path):
    path = tmp_path / "v3.db"
    store = Store.create(path)
    store.register_track(TRACK, "0" * 64, ["a"])
    with store.engine.begin() as conn:  # schema 3 as it was: one freeze per track, no phase events
        conn.execute(sa.text("DROP TABLE phase_events"))
        conn.execute(sa.text("CREATE TABLE phase_freezes (track VARCHAR(100) PRIMARY KEY, frozen_at VARCHAR(32) NOT NULL, "
                             "ranking_id INTEGER)"))
        conn.execute(sa.text("INSERT INTO phase_freezes VALUES ('t', '2031-01-01T00:00:00.000000Z', NULL)"))
        conn.execute(sa.text("UPDATE bench_info SET value = '3'"))
    with pytest.raises(BenchError, match="schema version 3"):
        Store(path)
    upgraded = Store.create(path)
    assert upgraded.phase("t") == (1, "2031-01-01T00:00:00.000000Z") and not upgraded.is_public("t")
