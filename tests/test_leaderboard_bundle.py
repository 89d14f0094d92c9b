"""A hidden track's bundle tells nothing but its pixels: opaque keyed names, one encoding, one
modification time, no original beside its edit; the leak audit finds each leak it is shown (a
bundle tampered with, the old layout) and freeze refuses to write a leaking bundle."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import BenchError
from benchmark.leaderboards.audit import TOLERANCE, audit, leaks
from benchmark.leaderboards.bundle import FILE_TIME, canonical_png
from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack
from benchmark.leaderboards.track import get_track
from demo_fixtures import write_demos

PAIRS = 40  # COCO-Glide pairs: enough images for the permutation test to tell a leak at the 0.1 % level


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    return write_demos(tmp_path_factory.mktemp("bundle-demo"), {"cocoglide": PAIRS, "semitruths": 80}, 32, 5)


@pytest.fixture(scope="module")
def cocoglide(roots, tmp_path_factory) -> tuple[GTPack, Path]:
    base = tmp_path_factory.mktemp("cocoglide-hidden")
    freeze(get_track("cocoglide-cross"), roots["cocoglide"], base / "gt", base / "bundle", workers=1, progress=False)
    return GTPack(base / "gt"), base / "bundle"


def old_layout(track):
    return dataclasses.replace(track, hidden=False, dataset=track.dataset.replace("[unpaired=0]", "")
                               .replace(";unpaired=0", ""))


def test_the_bundle_tells_nothing_but_its_pixels(cocoglide, roots):
    pack, bundle = cocoglide
    header = json.loads((pack.path / "gt.json").read_text())
    key = header["bundle"]["key"]
    files = sorted((bundle / "clean" / "images").iterdir())
    assert len(files) == len(pack.records) == PAIRS  # one image of each pair
    for record in pack.records:  # keyed names, the key and the map in the pack only
        assert record.name == hmac.new(bytes.fromhex(key), record.image_id.encode(), hashlib.sha256).hexdigest()[:20]
        assert (bundle / "clean" / "images" / f"{record.name}.png").is_file()
    public = "\n".join(p.read_text() for p in bundle.rglob("*.json"))
    assert key not in public and not any(r.image_id in public or r.name in public for r in pack.records)
    assert {p.stat().st_mtime for p in files} == {FILE_TIME}
    adapter = DatasetSpec.of("cocoglide").build(roots["cocoglide"], "test")
    by_id = {r.image_id: r for r in adapter.records}
    for record in pack.records:
        path = bundle / "clean" / "images" / f"{record.name}.png"
        data = path.read_bytes()
        image = adapter.load(by_id[record.image_id]).image
        assert data == canonical_png(image)  # one encoding, lossless: the dataset's pixels exactly
        assert np.array_equal(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), image)
        chunks, at = [], 8
        while at < len(data):
            length = int.from_bytes(data[at:at + 4], "big")
            chunks.append(data[at + 4:at + 8])
            at += 12 + length
        assert chunks == [b"IHDR", b"IDAT", b"IEND"]
    size = {p.stat().st_size for p in files}
    assert len(size) == 1  # a function of the image size alone (the demo's images are all one size)
    shown = {r.meta["coco_id"] for r in pack.records}
    assert len(shown) == PAIRS  # never a COCO image beside its inpainting
    assert {r.label for r in pack.records} == {0, 1} and sum(r.label for r in pack.records) == PAIRS // 2


def test_the_audit_is_at_chance_on_the_bundle_and_finds_the_old_layouts_leaks(cocoglide, roots, tmp_path, capsys):
    pack, bundle = cocoglide
    assert leaks(audit(bundle, pack)) == []
    old = old_layout(pack.track)
    freeze(old, roots["cocoglide"], tmp_path / "gt", tmp_path / "bundle", workers=1, progress=False)
    found = {f.attack: f for f in audit(tmp_path / "bundle", GTPack(tmp_path / "gt"))}
    for attack in ("name tokens", "listing position", "pair difference"):  # real/ID vs fake/ID, side by side
        assert found[attack].leak and found[attack].ap > found[attack].chance + TOLERANCE, found[attack]
    assert found["name tokens"].ap == 1.0 and found["pair difference"].ap > 0.45
    capsys.readouterr()
    assert main(["leaderboard", "audit", str(tmp_path / "bundle"), "--gt", str(tmp_path / "gt"), "--quiet"]) == 1
    assert "LEAK" in capsys.readouterr().out
    assert main(["leaderboard", "audit", str(bundle), "--gt", str(pack.path), "--quiet"]) == 0


@pytest.mark.parametrize("tamper", ["names", "times", "encoding"])
def test_the_audit_fails_a_deliberately_leaking_bundle(cocoglide, tmp_path, tamper):
    import shutil

    pack, bundle = cocoglide
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    by_name = {r.name: r for r in pack.records}
    for path in sorted((copy / "clean" / "images").iterdir()):
        edited = by_name[path.stem].label == 1
        if tamper == "times":
            os.utime(path, (FILE_TIME, FILE_TIME + 10 * edited))
        elif tamper == "encoding" and edited:  # edits re-encoded by another encoder (as a dataset's PNG edits beside JPEGs)
            path.write_bytes(cv2.imencode(".png", cv2.imread(str(path)), [cv2.IMWRITE_PNG_COMPRESSION, 9])[1].tobytes())
    if tamper == "names":
        # A bundle whose names keep the dataset's folder before the opaque part.
        header = json.loads((pack.path / "gt.json").read_text())
        for image in header["images"]:
            new = f"{image['id'].split('/')[0]}-{image['name']}"
            (copy / "clean" / "images" / f"{image['name']}.png").rename(copy / "clean" / "images" / f"{new}.png")
            image["name"] = new
        (tmp_path / "gt").mkdir()
        (tmp_path / "gt" / "gt.json").write_text(json.dumps(header))
        (tmp_path / "gt" / "masks").symlink_to(pack.path / "masks")
        pack = GTPack(tmp_path / "gt")
    expected = {"names": {"name tokens", "listing position"}, "times": {"file times"},
                "encoding": {"file size", "format"}}[tamper]
    found = {f.attack for f in leaks(audit(copy, pack))}
    assert expected <= found and "pair difference" not in found, found


def test_freeze_refuses_a_leaking_bundle_and_leaves_nothing(roots, tmp_path):
    """Without `unpaired`, COCO-Glide's bundle would hold each image and its inpainting: refused."""
    paired = dataclasses.replace(get_track("cocoglide-cross"), dataset="cocoglide")
    (tmp_path / "bundle").mkdir()  # an empty folder given by the organiser stays, empty
    with pytest.raises(BenchError, match="pair difference AP .* unpaired option"):
        freeze(paired, roots["cocoglide"], tmp_path / "gt", tmp_path / "bundle", workers=1, progress=False)
    assert not (tmp_path / "gt").exists() and list((tmp_path / "bundle").iterdir()) == []


def test_unpaired_keeps_one_image_per_original_and_the_share_of_originals(roots):
    spec = DatasetSpec.of("semitruths[preset=thesis-celebahq]")
    full = spec.build(roots["semitruths"], "test")
    kept = DatasetSpec.of(spec, {"unpaired": 0}).build(roots["semitruths"], "test")
    again = DatasetSpec.of(spec, {"unpaired": 0}).build(roots["semitruths"], "test")
    other = DatasetSpec.of(spec, {"unpaired": 1}).build(roots["semitruths"], "test")
    origins = [full.origin(r)[0] for r in kept.records]
    assert len(origins) == len(set(origins)) == len({full.origin(r)[0] for r in full.records})
    assert kept.ids == again.ids and set(kept.ids) <= set(full.ids)  # seeded, in the dataset's order
    assert kept.ids != other.ids or len(kept.ids) < 3
    share = sum(full.origin(r)[1] for r in full.records) / len(full.records)
    shown = sum(full.origin(r)[1] for r in kept.records)
    assert abs(shown - share * len(kept.records)) <= 1
