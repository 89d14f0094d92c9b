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
from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack, PackTargets
from benchmark.leaderboards.phases import draw_public
from benchmark.leaderboards.web.server import create_app
from benchmark.leaderboards.site import build_site
from benchmark.leaderboards.store import Store
from benchmark.leaderboards.values import PhaseClosed
from benchmark.leaderboards.ranking import ranking_estimate
from benchmark.leaderboards.submit import add_submission, freeze_phase
from benchmark.leaderboards.client import read_token
from benchmark.leaderboards.fit import open_part, translate
from benchmark.leaderboards.teams import add_team
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
    public, id_of = set(pack.public_ids), pack.ids_by_name  # the masks are named as the bundle names images
    task, pub, _ = _predictions(pack, public_kind, np.random.default_rng(1))
    _, priv, _ = _predictions(pack, private_kind, np.random.default_rng(2))
    masks = [(n, a if id_of[n] in public else b) for (n, a), (_, b) in zip(pub, priv) if ids is None or id_of[n] in ids]
    return write_predictions(out / f"{method}.zip", task, pack.spec, pack.split, pack.generators, method, masks)


def ids_zip(pack: GTPack, path):
    """The submission under the split's ids, as the leaderboard scores it."""
    return translate(pack, path, open_part(pack, path), path.with_name(f"{path.stem}-ids.zip"))


def _predictions(pack: GTPack, kind: str, rng: np.random.Generator):
    """The demo's kinds, and 'everything' (every pixel edited: the global IoU collapses)."""
    task, masks, scores = predictions(pack, "perfect" if kind == "everything" else kind, rng)
    if kind == "everything":
        masks = [(i, np.ones_like(m)) for i, m in masks]
    return task, masks, scores


def score_subset(pack: GTPack, path, ids: set[str]):
    """Brute force: the one scorer on the images `ids` alone, as if they were the whole split."""
    targets = PackTargets(pack.path, pack.split, pack.generators, [r for r in pack.records if r.image_id in ids])
    path = ids_zip(pack, path)
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
    for sid, path in ((a, ids_zip(pack, zip_a)), (b, ids_zip(pack, zip_b))):
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

    from benchmark.leaderboards.store.schema import rankings

    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(rankings)).scalar()


def test_public_phase_boards_of_dolos_detection_show_the_balanced_ap(tmp_path):
    """Image scores go through the Evaluator's weights like every other statistic, so the public
    view holds every column the track shows: DOLOS's balanced AP on the public images equals DOLOS's
    own function run on those images alone."""
    from reference_scorers import dolos_evaluate_detection

    from demo_fixtures import write_demos

    root = write_demos(tmp_path / "data", {"dolos": 30}, 32, 4)["dolos"]
    freeze(get_track("dolos-detection"), root, tmp_path / "gt", tmp_path / "bundle", workers=1, progress=False,
           public_fraction=0.5, public_seed=3)
    pack = GTPack(tmp_path / "gt")
    store = Store.create(tmp_path / "board.db")
    rng = np.random.default_rng(0)
    scores = {r.name: float(np.clip(0.3 * r.label + 0.7 * rng.random(), 0, 1)) for r in pack.records}  # a weak detector
    path = write_predictions(tmp_path / "d.zip", "detection", pack.spec, pack.split, pack.generators, "d",
                             scores=scores)
    add_submission(store, pack, [path], submitter="t", workers=1, progress=False)
    board = load_board(store, "dolos-detection")
    assert board.phase == "public" and {"m-ap_balanced", "m-ap_balanced_2std"} <= {c.key for c in board.columns}
    row, = board.rows
    public = set(pack.public_ids)
    by_id = {pack.ids_by_name[name]: score for name, score in scores.items()}
    shown = sorted((i, r.label) for i, r in ((r.image_id, r) for r in pack.records) if i in public)
    mean, two_std = dolos_evaluate_detection([by_id[i] for i, lab in shown if lab == 0],
                                             [by_id[i] for i, lab in shown if lab == 1])
    assert row.values["m-ap_balanced"] == pytest.approx(mean / 100, abs=1e-12)
    assert row.values["m-ap_balanced_2std"] == pytest.approx(two_std / 100, abs=1e-12)
    full = json.loads(store.results(row.sid)["clean"][1])["metrics"]
    assert row.values["m-ap_balanced"] != pytest.approx(full["ap_balanced"])  # not the whole split's


def test_a_new_phase_takes_submissions_again_ranked_on_the_whole_split(packs, tmp_path):
    from benchmark.leaderboards.teams import day_start

    pack = packs[0]
    store = Store.create(tmp_path / "board.db")
    store.register_track(pack.track, pack.split_hash, pack.public_ids)
    team = store.add_team("t", "0" * 64, phase_limit=1)
    store.new_upload(TRACK, team, "/jobs/a", day_start(), method="m")
    with pytest.raises(BenchError, match="phase limit|in this phase"):
        store.new_upload(TRACK, team, "/jobs/b", day_start(), method="m")
    with pytest.raises(BenchError, match="phase 1 is open"):
        store.open_phase(TRACK)
    said = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "leaderboard", "phase", "freeze", TRACK,
                           "--store", str(tmp_path / "board.db")], capture_output=True, text=True, check=True).stdout
    assert "phase frozen" in said and store.phase(TRACK)[1] is not None and not store.is_public(TRACK)
    with pytest.raises(PhaseClosed):
        store.new_upload(TRACK, team, "/jobs/c", day_start(), method="m")
    said = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "leaderboard", "phase", "open", TRACK,
                           "--store", str(tmp_path / "board.db")], capture_output=True, text=True, check=True).stdout
    assert "phase 2" in said and store.phase(TRACK) == (2, None)
    assert not store.is_public(TRACK)  # the freeze revealed the whole split for good
    store.new_upload(TRACK, team, "/jobs/d", day_start(), method="m")  # the phase limit counts afresh
    with pytest.raises(BenchError, match="in this phase"):
        store.new_upload(TRACK, team, "/jobs/e", day_start(), method="m")
    sid = add_submission(store, pack, [mixed(pack, tmp_path, "late", "noisy", "noisy")], submitter="t", workers=1,
                         progress=False)
    board = load_board(store, TRACK)
    assert board.phase == "final" and next(r for r in board.rows if r.sid == sid).results  # whole-split files shown
    assert store.freeze_phase(TRACK) and store.phase(TRACK)[1] is not None
