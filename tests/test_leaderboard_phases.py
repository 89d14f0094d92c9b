"""The public/private split of a track's test ids: while the phase is open the boards (site, live
pages, JSON/CSV API, `bench leaderboard list`) show numbers on the public ids only, equal to
scoring the public subset on its own, and nothing computed from the private ids; the organiser's
freeze ranks on the whole split (the ranking can change), reveals the result files and refuses
further submissions with `phase_closed`."""
import json
import subprocess
import sys

import numpy as np
import pytest
from leaderboard_helpers import predictions
from starlette.testclient import TestClient

from benchmark.errors import BenchError
from benchmark.leaderboards.board import load_board
from benchmark.leaderboards.gtpack import GTPack, PackTargets, freeze
from benchmark.leaderboards.phases import draw_public
from benchmark.leaderboards.server import create_app
from benchmark.leaderboards.site import build_site
from benchmark.leaderboards.store import PhaseClosed, Store
from benchmark.leaderboards.submit import add_submission, freeze_phase, ranking_estimate
from benchmark.leaderboards.teams import add_team, read_token
from benchmark.leaderboards.track import get_track
from benchmark.predictions import write_predictions
from benchmark.predictions.reader import Predictions
from benchmark.results import result_text
from benchmark.scoring import score_targets

TRACK = "diffseg-binary"


@pytest.fixture(scope="module")
def packs(tmp_path_factory, demo_roots):
    base = tmp_path_factory.mktemp("phase-packs")
    track = get_track(TRACK)
    freeze(track, demo_roots["diffseg"], base / "split", base / "split-bundle", workers=1, progress=False,
           public_fraction=0.5, public_seed=7)
    freeze(track, demo_roots["diffseg"], base / "plain", base / "plain-bundle", workers=1, progress=False)
    return GTPack(base / "split"), GTPack(base / "plain")


def mixed(pack: GTPack, out, method: str, public_kind: str, private_kind: str, ids=None):
    """A clean predictions zip: `public_kind` predictions on the public ids, `private_kind` on the
    private ones (only `ids` when given)."""
    public = set(pack.public_ids)
    task, pub, _ = _predictions(pack, public_kind, np.random.default_rng(1))
    _, priv, _ = _predictions(pack, private_kind, np.random.default_rng(2))
    masks = [(i, a if i in public else b) for (i, a), (_, b) in zip(pub, priv) if ids is None or i in ids]
    return write_predictions(out / f"{method}.zip", task, pack.spec, pack.split, pack.generators, method, masks)


def _predictions(pack: GTPack, kind: str, rng: np.random.Generator):
    """The demo's kinds, and 'everything' (every pixel edited: the global IoU collapses)."""
    task, masks, scores = predictions(pack, "perfect" if kind == "everything" else kind, rng)
    if kind == "everything":
        masks = [(i, np.ones_like(m)) for i, m in masks]
    return task, masks, scores


def score_subset(pack: GTPack, path, ids: set[str]):
    """Brute force: the one scorer on the images `ids` alone, as if they were the whole split."""
    targets = PackTargets(pack.path, pack.split, pack.generators, [r for r in pack.records if r.image_id in ids])
    return score_targets(path, Predictions(path), pack.spec, targets, pack.track.scoring_policy(), workers=1,
                         progress=False)


def near(value):
    """What the board shows for `value`: None when it is undefined, else the value (to rounding)."""
    return None if value is None or np.isnan(value) else pytest.approx(value, rel=1e-9, abs=1e-12)


def test_split_is_seeded_per_label_and_recorded(packs):
    split, plain = packs
    header = json.loads((split.path / "gt.json").read_text())["public"]
    ids, labels = [r.image_id for r in split.records], [r.label for r in split.records]
    assert header["ids"] == split.public_ids == draw_public(ids, labels, 0.5, 7)
    assert draw_public(ids, labels, 0.5, 8) != split.public_ids
    for label in set(labels):  # half of each label's images
        group = [i for i, lab in zip(ids, labels) if lab == label]
        assert sum(i in split.public_ids for i in group) == round(0.5 * len(group))
    assert plain.public_ids is None and "public" not in json.loads((plain.path / "gt.json").read_text())
    bundle = (split.path.parent / "split-bundle" / "track.json").read_text()
    assert "public" not in json.loads(bundle) and header["ids_sha256"] not in bundle
    with pytest.raises(BenchError, match="between 0 and 1"):
        freeze(get_track(TRACK), "unused", split.path.parent / "x", split.path.parent / "y", public_fraction=1.0)


def test_public_phase_shows_public_numbers_only_then_the_freeze_reveals_and_reranks(packs, tmp_path):
    pack = packs[0]
    public, private = set(pack.public_ids), {r.image_id for r in pack.records} - set(pack.public_ids)
    store = Store.create(tmp_path / "board.db")
    # A is perfect on the public ids and calls every private pixel edited; B is noisy on the public
    # ids and perfect on the private ones: A leads the public board, B the whole split.
    kinds = {"a": ("perfect", "everything"), "b": ("noisy", "perfect")}
    zip_a, zip_b = (mixed(pack, tmp_path, m, *kinds[m]) for m in "ab")
    a = add_submission(store, pack, [zip_a], submitter="t", workers=1, progress=False)
    b = add_submission(store, pack, [zip_b], submitter="t", workers=1, progress=False)

    # The stored result files are `bench score`'s against the pack, whatever the phase.
    for sid, path in ((a, zip_a), (b, zip_b)):
        whole = score_targets(path, Predictions(path), pack.spec, pack.targets(), pack.track.scoring_policy(),
                              workers=1, progress=False)
        assert store.results(sid)["clean"][1] == result_text(whole.result)

    board = load_board(store, TRACK)
    assert board.phase == "public" and board.n_public == len(public)
    rows = {r.sid: r for r in board.rows}
    assert rows[a].position == 1 and rows[b].position == 2
    leaks = []
    for sid, method in ((a, "a"), (b, "b")):
        row = rows[sid]
        assert row.results == {}  # no result file is published before the freeze
        # Brute force: the public images scored on their own (the same predictions, the rest left out).
        (tmp_path / "public").mkdir(exist_ok=True)
        alone = score_subset(pack, mixed(pack, tmp_path / "public", method, *kinds[method], ids=public), public)
        metrics = alone.result["metrics"]
        assert row.values["score"] == near(metrics["miou"])
        for m in ("pixel_acc", "miou", "bf1"):
            assert row.values[f"m-{m}"] == near(metrics[m])
        for name, v in metrics["iou_per_generator"].items():
            if name != "unedited":
                assert row.values.get(f"g-{name}") == near(v)
        assert row.values["fp_area"] == near(metrics["fp_area_real"])
        # The interval resamples the public images only: the same draws as the subset's own bootstrap.
        est = ranking_estimate(pack.track, {"clean": alone.result}, {"clean": alone.statistics})
        assert (row.low, row.high) == pytest.approx((est.low, est.high), rel=1e-9, abs=1e-12)
        full = json.loads(store.results(sid)["clean"][1])["metrics"]
        (tmp_path / "private").mkdir(exist_ok=True)
        hidden = score_subset(pack, mixed(pack, tmp_path / "private", method, *kinds[method], ids=private),
                              private).result["metrics"]
        for value in (full["miou"], full["bf1"], full["pixel_acc"], hidden["miou"], hidden["bf1"]):
            assert value != pytest.approx(row.values["score"])
            leaks.append(value)
        leaks += [sha for sha, _ in store.results(sid).values()]

    # Nothing computed from the private ids anywhere: the site, the API, the live pages, the CLI.
    site = tmp_path / "site"
    build_site(store, site)
    published = "\n".join(p.read_text() for p in site.rglob("*") if p.suffix in (".html", ".json", ".csv"))
    add_team(store, "t", tmp_path / "t.token")
    token = read_token(tmp_path / "t.token")
    client = TestClient(create_app(tmp_path / "board.db", [pack.path], tmp_path / "jobs"))
    for url in ("/", f"/tracks/{TRACK}/", f"/entries/{a}", f"/entries/{b}", f"/api/v1/tracks/{TRACK}/board.json",
                f"/api/v1/tracks/{TRACK}/board.csv", f"/api/v1/entries/{a}", f"/api/v1/entries/{b}"):
        response = client.get(url)
        assert response.status_code == 200, url
        published += "\n" + response.text
    assert client.get(f"/entries/{a}/clean.json").status_code == 404
    listing = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "leaderboard", "list", "--store",
                              str(tmp_path / "board.db")], capture_output=True, text=True, check=True).stdout
    assert "public phase" in listing
    # Only values that would be recognised (0.0 or 1.0 appear anyway), and several of them.
    leaks = [v for v in leaks if isinstance(v, str) or len(repr(v)) >= 8]
    assert len(leaks) >= 6
    for value in leaks:
        text = value if isinstance(value, str) else repr(value)
        assert text not in published, text
        if not isinstance(value, str):
            assert f"{value:.4f}" not in listing
    assert "revealed when the organiser freezes the phase" in (site / "entries" / f"{a}.html").read_text()

    # The freeze: a snapshot on the whole split, B now ahead, the result files published.
    snapshots = _snapshots(store)
    said = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "leaderboard", "phase", "freeze", TRACK,
                           "--store", str(tmp_path / "board.db")], capture_output=True, text=True, check=True).stdout
    assert "phase frozen" in said and _snapshots(store) == snapshots + 1
    board = load_board(store, TRACK)
    rows = {r.sid: r for r in board.rows}
    assert board.phase == "final" and rows[b].position == 1 and rows[a].position == 2
    for sid in (a, b):
        full = json.loads(store.results(sid)["clean"][1])
        assert rows[sid].values["score"] == full["metrics"]["miou"] and rows[sid].results["clean"][1] == full
    assert client.get(f"/entries/{a}/clean.json").status_code == 200
    with pytest.raises(BenchError, match="already|frozen"):
        freeze_phase(store, pack.track)

    # After the freeze: refused, locally and over HTTP, with the code.
    with pytest.raises(PhaseClosed, match="no more submissions"):
        add_submission(store, pack, [zip_a], submitter="t", workers=1, progress=False)
    response = client.post(f"/api/v1/tracks/{TRACK}/submissions", headers={"Authorization": f"Bearer {token}"},
                           files={"file": ("a.zip", zip_a.read_bytes(), "application/zip")})
    assert response.status_code == 409 and response.json()["error"] == "phase_closed"
    assert response.json()["frozen_at"] == store.frozen_at(TRACK)


def test_no_split_is_unchanged_and_has_no_phase_to_freeze(packs, tmp_path):
    split, plain = packs
    store = Store.create(tmp_path / "board.db")
    task, masks, _ = predictions(plain, "noisy", np.random.default_rng(0))
    path = write_predictions(tmp_path / "n.zip", task, plain.spec, plain.split, plain.generators, "n", masks)
    sid = add_submission(store, plain, [path], submitter="t", workers=1, progress=False)
    board = load_board(store, TRACK)
    assert board.phase is None and "phase" not in board.to_json()
    row = board.rows[0]
    full = json.loads(store.results(sid)["clean"][1])
    assert row.values["score"] == full["metrics"]["miou"] and row.results["clean"][1] == full
    assert (row.low, row.high) == (store.estimate(sid).low, store.estimate(sid).high)
    with pytest.raises(BenchError, match="no public/private split"):
        freeze_phase(store, plain.track)
    with pytest.raises(BenchError, match="public/private split"):  # one board never mixes phases
        store.register_track(split.track, split.split_hash, split.public_ids)


def _snapshots(store: Store) -> int:
    import sqlalchemy as sa

    from benchmark.leaderboards.store import rankings

    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(rankings)).scalar()
