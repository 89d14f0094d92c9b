"""The results store: a round trip on SQLite and on PostgreSQL (when a server can be started),
failed and partial scorings never ranked, and tie-breaking by the declared metric, then time."""
import hashlib
import json

import numpy as np
import pytest
import sqlalchemy as sa
from leaderboard_helpers import write_parts

from benchmark.errors import BenchError
from benchmark.leaderboards.board import load_board
from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack
from benchmark.leaderboards.ranking import Entry, rank
from benchmark.leaderboards.store import Store
from benchmark.leaderboards.ranking import part_statistic
from benchmark.leaderboards.submit import add_reported, add_submission, load_statistics
from benchmark.leaderboards.track import Track, get_track
from benchmark.metrics.bootstrap import bootstrap_draws, percentile_interval


@pytest.fixture(scope="module")
def packs(tmp_path_factory, demo_roots):
    base = tmp_path_factory.mktemp("packs")
    two_part = Track(name="two-part", title="two", dataset="diffseg", split="val", task="binary", rank_by="miou",
                     tie_break=("bf1",), distortions=("jpeg60",))
    out = {}
    for track in (get_track("diffseg-binary"), two_part):
        freeze(track, demo_roots["diffseg"], base / track.name, base / f"{track.name}-bundle", workers=1, progress=False)
        out[track.name] = GTPack(base / track.name)
    return out


def test_round_trip(store_url, packs, tmp_path):
    pack = packs["diffseg-binary"]
    store = Store.create(store_url)
    ids = {kind: add_submission(store, pack, write_parts(pack, tmp_path, kind), submitter="team", workers=1,
                                progress=False, supervision="pixel masks")
           for kind in ("perfect", "noisy", "background")}
    reported = add_reported(store, pack, get_track(pack.track.name).reported[0])
    Store.create(store_url)  # initialising again leaves the store as it is
    again = Store(store_url)
    assert [t.name for t, h in again.tracks()] == ["diffseg-binary"] and again.tracks()[0][1] == pack.split_hash
    for kind, sid in ids.items():
        (sha, text), = again.results(sid).values()
        assert hashlib.sha256(text.encode()).hexdigest() == sha and again.document(sha) == text
        assert json.loads(text)["method"] == kind
        assert [e["status"] for e in again.history(sid)] == ["queued", "scoring", "scored"]
        # the interval is re-derived from the stored statistics alone
        fn, order = part_statistic(load_statistics(again.statistics(sid, "clean")), "miou")
        estimate = again.estimate(sid)
        position = {i: k for k, i in enumerate(sorted(order))}
        draws = bootstrap_draws(lambda w: fn(w[[position[i] for i in order]]), len(order), estimate.resamples,
                                estimate.seed)
        np.testing.assert_array_equal(draws, estimate.draws)
        assert percentile_interval(draws) == {"low": estimate.low, "high": estimate.high}
    ranking = again.latest_ranking("diffseg-binary")
    assert ranking[ids["perfect"]] == (1, None) and ranking[ids["background"]][0] == 3
    assert ranking[ids["noisy"]][0] == 2 and 0 < ranking[ids["noisy"]][1] <= 1
    assert ranking[reported] == (None, None)
    assert json.loads(again.results(reported)["clean"][1])["schema"] == "bench.reported/1"
    board = load_board(again, "diffseg-binary")
    assert [r.values["method"] for r in board.sorted_rows("rank", "asc")][:3] == ["perfect", "noisy", "background"]
    with pytest.raises(BenchError, match="cannot become scoring"):
        again.set_status(ids["perfect"], "scoring")


def test_store_refuses_another_schema_version_and_split(tmp_path, packs):
    store = Store.create(tmp_path / "s.db")
    store.register_track(packs["diffseg-binary"].track, packs["diffseg-binary"].split_hash)
    with pytest.raises(BenchError, match="split hash"):
        store.register_track(packs["diffseg-binary"].track, "0" * 64)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE bench_info SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(BenchError, match="schema version 99"):
        Store(tmp_path / "s.db")
    with pytest.raises(BenchError, match="no results store"):
        Store(tmp_path / "absent.db")


def test_failed_or_partial_scoring_is_never_ranked(tmp_path, packs):
    pack = packs["two-part"]
    store = Store.create(tmp_path / "s.db")
    partial = write_parts(pack, tmp_path / "partial", "perfect", parts=["clean"])
    with pytest.raises(BenchError, match="partial submission: no predictions for jpeg60"):
        add_submission(store, pack, partial, submitter="t", workers=1, progress=False)
    wrong = write_parts(packs["diffseg-binary"], tmp_path / "wrong", "perfect")  # no jpeg60, and clean twice below
    with pytest.raises(BenchError, match="a second predictions part"):
        add_submission(store, pack, [wrong[0], partial[0]], submitter="t", workers=1, progress=False)
    good = add_submission(store, pack, write_parts(pack, tmp_path / "good", "noisy"), submitter="t", workers=1,
                          progress=False)
    failed = [s for s in store.submissions() if s["status"] == "failed"]
    assert len(failed) == 2 and all(s["error"] for s in failed)
    assert all(store.results(s["id"]) == {} and store.estimate(s["id"]) is None for s in failed)
    assert store.latest_ranking("two-part") == {good: (1, None)}
    assert [r.sid for r in load_board(store, "two-part").rows] == [good]


def test_ties_go_to_the_secondary_metric_then_the_earlier_submission(store_url, packs, tmp_path):
    pack = packs["diffseg-binary"]
    store = Store.create(store_url)
    parts = write_parts(pack, tmp_path, "noisy")
    late = add_submission(store, pack, parts, submitter="a", submitted_at="2030-01-02T00:00:00.000000Z", workers=1,
                          progress=False)
    early = add_submission(store, pack, parts, submitter="b", submitted_at="2030-01-01T00:00:00.000000Z", workers=1,
                           progress=False)
    ranking = store.latest_ranking("diffseg-binary")
    assert ranking[early][0] == 1 and ranking[late][0] == 2
    assert ranking[late][1] == 1.0  # identical predictions: never significantly worse
    draws = np.zeros(3)
    entries = [Entry(1, "rescored", "2030-01-01", 0.5, (0.1, 0.9), draws),
               Entry(2, "rescored", "2030-01-03", 0.5, (0.2, 0.0), draws),
               Entry(3, "rescored", "2030-01-02", 0.5, (0.2, 0.0), draws),
               Entry(4, "rescored", "2030-01-01", 0.5, (None, 1.0), draws),
               Entry(5, "reported", "2029-01-01", 0.9, (0.9, 0.9), None),
               Entry(6, "rescored", "2029-01-01", None, (0.9, 0.9), draws)]
    order = [sid for sid, position, _ in rank(entries) if position is not None]
    assert order == [3, 2, 1, 4]
    assert {sid for sid, position, _ in rank(entries) if position is None} == {5, 6}
