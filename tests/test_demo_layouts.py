"""Demo writers for the DOLOS, Semi-Truths and COCO-Glide layouts: the real names, trees, mask
polarities and file kinds, read back by the real adapters and `bench data check`, counted
independently with os/tarfile/csv, and byte-identical for the same seed."""
from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import Dolos, canonical_split
from benchmark.datasets.demo import write_demo
from benchmark.datasets.demo.compose import item_rng, make_scene
from benchmark.datasets.demo.writers.dolos import plan_jobs
from demo_fixtures import write_demos
from benchmark.datasets.semitruths import split_of

SIZE, SEED = 64, 5
IMAGES = {"dolos": 3, "semitruths": 12, "cocoglide": 4}
SPLITS = ("train", "valid", "test")
LOCAL = ("repaint-p2", "repaint-p2-9k", "ldm", "lama", "pluralistic")
# The spec's column list, written out here rather than imported from the writer.
ST_COLUMNS = ("img_id, perturbed_img_id, original_caption, perturbed_caption, dataset, diffusion_model, method, "
              "language_model, mask_id, mask_name, sem_magnitude, area_ratio, post_edit_ratio, ssim, mse, "
              "lpips_score, dreamsim, sen_sim, cap2_img2, img1_img2, direct_sim, brisque_score_orig, "
              "brisque_score_perturb, pass_qc").split(", ")
# Per source: original extension, and the mask file kind of the real samples (format, PIL mode).
ST_SOURCES = {"ADE20K": (".jpg", ("PNG", "L")), "CelebAHQ": (".jpg", ("JPEG", "RGB")),
              "CityScapes": (".png", ("PNG", "L")), "HumanParsing": (".png", ("PNG", "RGB")),
              "OpenImages": (".jpg", ("PNG", "1")), "SUN_RGBD": (".jpg", ("JPEG", "L"))}


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict[str, Path]:
    return write_demos(tmp_path_factory.mktemp("layouts"), IMAGES, SIZE, SEED)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_json(fmt: str, root: Path, capsys) -> dict:
    assert main(["data", "check", "--dataset", fmt, "--root", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    return report


def read_grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def read_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.parametrize("fmt", list(IMAGES))
def test_same_seed_same_bytes(fmt, demos, tmp_path):
    write_demo(fmt, tmp_path / fmt, images=IMAGES[fmt], size=SIZE, seed=SEED, workers=2)
    first, again = files_of(demos[fmt]), files_of(tmp_path / fmt)
    assert list(first) == list(again) and len(first) > 5
    assert [n for n in first if first[n] != again[n]] == []


# -- DOLOS ---------------------------------------------------------------------------------
def test_dolos_tree_and_check_counts(demos, capsys):
    root = demos["dolos"]
    counts = {s: Counter() for s in SPLITS}
    for source in ("celebahq", "ffhq"):
        for split in SPLITS:
            counts[split]["real"] += len(list((root / source / "real" / split).iterdir()))
            counts[split]["edited"] += len(list((root / source / "fake" / "p2" / split).iterdir()))
            for g in LOCAL if source == "celebahq" else ("repaint-p2",):
                images = sorted(p.name for p in (root / source / "fake" / g / "images" / split).iterdir())
                masks = sorted(p.name for p in (root / source / "fake" / g / "masks" / split).iterdir())
                assert images == masks and images  # the same file names, and every split has some
                counts[split]["edited"] += len(images)
    assert sorted(p.name for p in (root / "ffhq" / "fake").iterdir()) == ["p2", "repaint-p2"]
    report = check_json("dolos", root, capsys)
    for split in SPLITS:
        real, edited = counts[split]["real"], counts[split]["edited"]
        assert real > 0 and report["splits"][canonical_split(split)] == {"images": real + edited, "edited": edited, "real": real}
    assert report["warnings"] == []  # real and fake are both PNG: no format shortcut
    assert report["encodings"] == {"real": {"png": sum(c["real"] for c in counts.values())},
                                   "edited": {"png": sum(c["edited"] for c in counts.values())}}


def test_dolos_masks_are_stored_inverted_over_the_edit(demos):
    """Raw files: RGB, 0 exactly where the writer's scene was changed (up to feathering), 255
    elsewhere; the adapter turns the 0 region into the subset's generator id."""
    root = demos["dolos"]
    jobs = plan_jobs(IMAGES["dolos"])
    checked = Counter()
    for i, job in enumerate(jobs):
        if job.subset in ("real", "p2"):
            continue
        image_path, mask_path = job.paths(root)
        raw = Image.open(mask_path)
        assert raw.mode == "RGB" and raw.size == (SIZE, SIZE)
        rgb = np.asarray(raw)
        assert set(np.unique(rgb)) <= {0, 255} and (rgb == rgb[..., :1]).all()
        edited_region = rgb[..., 0] == 0
        assert 0 < edited_region.mean() < 0.5
        scene, _ = make_scene(item_rng(SEED, i), SIZE, square=True)  # the picture before the edit
        changed = np.abs(read_rgb(image_path).astype(int) - scene).max(axis=2) > 0
        assert not (changed & ~edited_region).any()  # nothing outside the 0 region was touched
        assert changed[edited_region].mean() > 0.5
        adapter = Dolos(root, job.split, fakes=[job.subset], reals=False, sources=[job.source])
        sample = adapter[adapter.ids.index(f"{job.source}/{job.subset}/{Path(job.name).stem}")]
        k = adapter.generators.index(job.subset) + 1
        assert np.array_equal(sample.mask, edited_region.astype(np.uint8) * k)
        assert sample.label == 1 and sample.generators == (k,)
        checked[job.subset] += 1
    assert set(checked) == set(LOCAL)


def test_dolos_setups_load_every_split(demos):
    root = demos["dolos"]
    for split in SPLITS:
        a = Dolos(root, split, setup="A")
        assert {s.meta["subset"] for s in a} == {"real", "p2"} and {s.label for s in a} == {0, 1}
        assert all(s.meta["mask"] == "none" for s in a if s.label)
        b = Dolos(root, split, setup="B")
        assert {s.meta["subset"] for s in b} == {"real", "repaint-p2-9k"}
        assert all(s.meta["mask"] == "withheld" for s in b if s.label)
        c = Dolos(root, split, setup="C")
        assert len(c) and all(s.label == 1 and s.meta["subset"] == "repaint-p2" and s.mask.any() for s in c)
        for g in ("repaint-p2", "ldm", "lama", "pluralistic"):
            assert len(Dolos(root, split, setup=f"only-{g}")) and len(Dolos(root, split, setup=f"all-but-{g}"))


def test_dolos_p2_is_whole_image_and_subsets_use_distinct_editors():
    from benchmark.datasets.demo.editors import EDITOR_NAMES, WHOLE_IMAGE_NAMES
    from benchmark.datasets.demo.writers.dolos import P2_EDITOR, SUBSET_EDITORS
    from benchmark.datasets.dolos import CROSS

    assert P2_EDITOR in WHOLE_IMAGE_NAMES and P2_EDITOR not in EDITOR_NAMES
    assert len({SUBSET_EDITORS[g] for g in CROSS}) == len(CROSS)
    assert set(SUBSET_EDITORS.values()) <= set(EDITOR_NAMES)
    scene, _ = make_scene(np.random.default_rng(0), SIZE, square=True)
    from benchmark.registry import EDITORS

    out = EDITORS.get(P2_EDITOR)(scene, np.ones(scene.shape[:2], bool), np.random.default_rng(1), None)
    assert (np.abs(out.astype(int) - scene).max(axis=2) > 0).mean() > 0.9  # every pixel regenerated


# -- COCO-Glide ----------------------------------------------------------------------------
def test_cocoglide_names_masks_and_check_counts(demos, capsys):
    base = demos["cocoglide"] / "CocoGlide"
    fakes = {re.fullmatch(r"glide_inpainting_val2017_(\d+)_up\.png", p.name)[1] for p in (base / "fake").iterdir()}
    reals = {re.fullmatch(r"(.+)_(\d+)\.png", p.name).groups()[::-1] for p in (base / "real").iterdir()}
    masks = {re.fullmatch(r"(.+)_(\d+)_mask\.png", p.name).groups()[::-1] for p in (base / "mask").iterdir()}
    assert len(fakes) == IMAGES["cocoglide"] and masks == reals and {i for i, _ in reals} == fakes
    assert any(" " in category for _, category in reals)
    for coco_id, category in reals:
        real = read_rgb(base / "real" / f"{category}_{coco_id}.png")
        fake = read_rgb(base / "fake" / f"glide_inpainting_val2017_{coco_id}_up.png")
        mask = Image.open(base / "mask" / f"{category}_{coco_id}_mask.png")
        assert mask.mode == "L" and real.shape == (SIZE, SIZE, 3)
        forged = np.asarray(mask)
        assert set(np.unique(forged)) == {0, 255} and (forged == 255).mean() < 0.5
        changed = np.abs(fake.astype(int) - real).max(axis=2) > 0
        assert not (changed & (forged == 0)).any() and changed[forged == 255].mean() > 0.5
    report = check_json("cocoglide", demos["cocoglide"], capsys)
    n = len(fakes)
    assert report["splits"] == {"test": {"images": 2 * n, "edited": n, "real": n}}
    assert report["warnings"] == []


# -- Semi-Truths ---------------------------------------------------------------------------
def shard_members(root: Path, pattern: str) -> dict[str, bytes]:
    members = {}
    for shard in sorted(root.glob(pattern)):
        assert shard.name.endswith(".tar.bz2")
        with tarfile.open(shard, "r:bz2") as tar:
            infos = tar.getmembers()
            assert [i.name for i in infos] == sorted(i.name for i in infos)
            for info in infos:
                assert (info.mtime, info.uid, info.gid, info.uname, info.mode) == (0, 0, 0, "", 0o644)
                members[info.name] = tar.extractfile(info).read()
    return members


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ST_COLUMNS
        return list(reader)


def test_semitruths_layout_csv_and_mask_kinds(demos):
    root = demos["semitruths"]
    originals = shard_members(root, "original/images/*_images_*.tar.bz2")
    masks = shard_members(root, "original/masks/*_masks_*.tar.bz2")
    rows = read_rows(root / "metadata" / "edited" / "inpainting.csv")
    stems = {}
    for name in originals:
        ds, file = name.split("/")[1:]
        assert file.endswith(ST_SOURCES[ds][0])
        stems[(ds, Path(file).stem)] = name
    assert {ds for ds, _ in stems} == set(ST_SOURCES)
    by_name = {}
    for name, data in masks.items():
        ds = name.split("/")[1]
        im = Image.open(io.BytesIO(data))
        assert (im.format, im.mode) == ST_SOURCES[ds][1], name
        by_name[Path(name).stem] = data
    assert any(len(np.unique(read_grey(d))) > 2 for n, d in masks.items() if "/CityScapes/" in n)  # anti-aliased
    edits = shard_members(root, "inpainting/*/*/*.tar.bz2")
    assert len(edits) == len(rows) > 0
    assert {r["img_id"].startswith("CelebA_") for r in rows if r["dataset"] == "CelebAHQ"} == {True, False}
    na = Counter()
    for row in rows:
        ds, model, mask_id = row["dataset"], row["diffusion_model"], row["mask_id"]
        assert row["perturbed_img_id"] == mask_id and row["method"] == "inpainting"
        assert f"{ds}/{model}/{mask_id}_{ds}_{model}.png" in edits
        img = row["img_id"].removeprefix("CelebA_") if ds == "CelebAHQ" else row["img_id"]
        assert (ds, img) in stems
        if ds == "CelebAHQ":  # CSV numbers the part, the file names it
            assert re.fullmatch(rf"{img}_\d{{3}}", mask_id)
            data = by_name[f"{img}_{row['mask_name'].replace(' ', '_')}"]
        else:
            data = by_name[mask_id]
        assert float(row["area_ratio"]) == pytest.approx((read_grey(data) > 127).mean(), abs=1e-9)
        assert row["sem_magnitude"] in ("small", "medium", "large") and row["pass_qc"] in ("True", "False")
        assert 0 < float(row["ssim"]) <= 1 and float(row["mse"]) > 0
        na.update(c for c, v in row.items() if v == "NA")
    assert na["lpips_score"] == len(rows) and na["area_ratio"] == 0


def test_semitruths_check_counts_and_format_warning(demos, capsys):
    root = demos["semitruths"]
    originals = shard_members(root, "original/images/*.tar.bz2")
    inpainted = read_rows(root / "metadata" / "edited" / "inpainting.csv")
    prompt_csv = root / "metadata" / "edited" / "prompt-based-editing.csv"
    prompted = read_rows(prompt_csv) if prompt_csv.exists() else []
    edited_members = shard_members(root, "inpainting/*/*/*.tar.bz2")
    edited_members.update(shard_members(root, "prompt-based-editing/*/*/*/*.tar.bz2"))
    assert len(edited_members) == len(inpainted) + len(prompted)
    assert all(r["mask_id"] == "NA" and r["language_model"] == "LlaVA-Hermes" for r in prompted)
    expected = {s: Counter() for s in ("train", "val", "test")}
    for name in originals:
        ds, file = name.split("/")[1:]
        expected[split_of(ds, Path(file).stem, (0.8, 0.1, 0.1))]["real"] += 1
    for row in inpainted + prompted:
        expected[split_of(row["dataset"], row["img_id"], (0.8, 0.1, 0.1))]["edited"] += 1
    report = check_json("semitruths", root, capsys)
    for split, c in expected.items():
        assert report["splits"][split] == {"images": c["real"] + c["edited"], "edited": c["edited"], "real": c["real"]}
    assert sum(s["real"] for s in report["splits"].values()) == len(originals) == IMAGES["semitruths"]
    # Real originals are mostly JPEG, every edit a PNG: true of the real dataset, reported, exit 0.
    assert any(w.startswith("file format shortcut") for w in report["warnings"])
    assert set(report["encodings"]["edited"]) == {"png"}
