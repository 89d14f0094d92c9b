"""Frozen GT packs: for every launch track, a submission scored into the store from the pack has
the very bytes `bench score` writes against the raw dataset for the same zip translated to the
ids; the participant bundle holds no ground truth; a hidden track's published outputs hold no
per-image values, area bins or GT paths."""
import json
from pathlib import Path

import pytest
from leaderboard_helpers import write_parts

from benchmark.cli.main import main
from benchmark.errors import BenchError
from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack
from benchmark.leaderboards.site import build_site
from benchmark.leaderboards.store import Store
from benchmark.leaderboards.submit import add_submission
from benchmark.leaderboards.track import Track, get_track, track_names

def root_for(track: Track, demo_roots) -> Path:
    return demo_roots[track.dataset.split("[")[0]]


@pytest.mark.parametrize("name", track_names())
def test_pack_and_raw_dataset_give_the_same_result_bytes(tmp_path, demo_roots, name, capsys):
    track = get_track(name)
    root = root_for(track, demo_roots)
    assert main(["leaderboard", "freeze", name, "--root", str(root), "--out", str(tmp_path / "gt"),
                 "--workers", "1", "--quiet"]) == 0
    pack = GTPack(tmp_path / "gt")
    store_path = tmp_path / "board.db"
    assert main(["leaderboard", "init", "--store", str(store_path)]) == 0
    parts = write_parts(pack, tmp_path / "subs", "noisy")
    assert main(["leaderboard", "add", *map(str, parts), "--store", str(store_path), "--gt", str(tmp_path / "gt"),
                 "--workers", "1", "--quiet"]) == 0
    stored = Store(store_path).results(1)
    assert sorted(stored) == sorted(track.parts)
    for part, path in zip(track.parts, parts):
        out = tmp_path / f"raw-{part}.json"
        translated = tmp_path / f"ids-{part}.zip"  # every packaged track is hidden: its bundle's names are opaque
        assert main(["leaderboard", "translate", str(path), "--gt", str(tmp_path / "gt"), "--out", str(translated)]) == 0
        argv = ["score", str(translated), "--dataset", track.dataset, "--root", str(root), "--split", track.split,
                "--policy", f"preset={track.policy}", "--out", str(out), "--workers", "1", "--quiet"]
        assert main(argv + (["--breakdown", *track.breakdowns] if track.breakdowns else [])) == 0
        assert out.read_text() == stored[part][1], part
        # the names the participant used tell the raw dataset nothing
        opaque = [str(path) if a == str(translated) else str(tmp_path / "never.json") if a == str(out) else a for a in argv]
        assert main(opaque) == 2
    assert json.loads(stored["clean"][1])["provenance"]["split_manifest_hash"] == pack.split_hash


def test_bundle_holds_images_and_no_ground_truth(tmp_path, demo_roots):
    track = Track(name="t", title="t", dataset="diffseg", split="val", task="binary", rank_by="miou",
                  distortions=("jpeg60",))
    freeze(track, demo_roots["diffseg"], tmp_path / "gt", tmp_path / "bundle", workers=1, progress=False)
    masks = {p.read_bytes() for p in (tmp_path / "gt" / "masks").rglob("*.png")}
    files = [p for p in (tmp_path / "bundle").rglob("*") if p.is_file()]
    assert {p.relative_to(tmp_path / "bundle").parts[0] for p in files} == {"clean", "jpeg60", "track.json"}
    for p in files:
        assert p.name in ("export.json", "track.json") or p.relative_to(tmp_path / "bundle").parts[1] == "images"
        assert p.read_bytes() not in masks
    for part in ("clean", "jpeg60"):
        export = json.loads((tmp_path / "bundle" / part / "export.json").read_text())
        assert export["task"] is None and export["distortion"] == part
    public = json.loads((tmp_path / "bundle" / "track.json").read_text())
    assert "images" not in public and public["parts"] == ["clean", "jpeg60"]
    with pytest.raises(BenchError, match="apart from the GT pack"):
        freeze(track, demo_roots["diffseg"], tmp_path / "gt2", tmp_path / "gt2" / "bundle", progress=False)


@pytest.mark.parametrize("hidden", [True, False])
def test_hidden_track_publishes_no_per_image_values(tmp_path, demo_roots, hidden):
    track = Track(name="hid", title="hid", dataset="diffseg", split="val", task="binary", rank_by="miou",
                  per_generator="iou_per_generator", hidden=hidden)
    freeze(track, demo_roots["diffseg"], tmp_path / "gt", tmp_path / "bundle", workers=1, progress=False)
    pack = GTPack(tmp_path / "gt")
    store = Store.create(tmp_path / "s.db")
    for kind in ("perfect", "noisy"):
        add_submission(store, pack, write_parts(pack, tmp_path / "subs", kind), submitter="t", workers=1, progress=False)
    build_site(store, tmp_path / "site")
    text = "\n".join(p.read_text() for p in (tmp_path / "site").rglob("*") if p.suffix in (".html", ".json", ".csv"))
    ids = [r.image_id for r in pack.records]
    leaks = [i for i in ids if i in text] + [w for w in ("area_bin", "area_quantile", str(demo_roots["diffseg"]),
                                                         "validation-", "train.zip") if w in text]
    if hidden:
        assert leaks == []
    else:  # the same check finds the area bins of an open track
        assert "area_bin" in leaks
