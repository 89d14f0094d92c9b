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
from benchmark.leaderboards.store import SCHEMA_VERSION, QuotaExceeded, Store
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


def test_a_ranking_is_appended_only_over_the_submissions_it_ranked(store):
    ids = _uploads(store, 2, _team(store))
    for sid in ids:
        job = store.claim(["t"], "w", 60)
        store.add_results(job["id"], {"clean": ("{}\n", None)}, None, worker="w")
    assert store.add_ranking("t", ids[0], [(ids[0], 1, None)], scored={ids[0]}) is None  # stale: ids[1] is scored too
    rid = store.add_ranking("t", ids[1], [(ids[0], 1, None), (ids[1], 2, 0.5)], scored=set(ids))
    assert rid is not None and store.latest_ranking("t") == {ids[0]: (1, None), ids[1]: (2, 0.5)}


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
