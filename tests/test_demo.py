"""The embedded demo data: determinism, editors that only touch their mask, and the DiffSeg30k
layout read back through the real adapter and `bench data check`."""
from __future__ import annotations

import io
import json
import zipfile
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k, canonical_split
from benchmark.datasets.demo import write_demo
from benchmark.datasets.demo.compose import edit_image, plan_edits
from benchmark.datasets.demo.editors import EDITOR_NAMES
from benchmark.datasets.demo.masks import star_mask, superpixel_mask
from benchmark.errors import BenchError
from benchmark.registry import EDITORS

N, SIZE = 12, 80


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "diffseg"
    write_demo("diffseg", out, images=N, size=SIZE, seed=3, workers=1)
    return out


@pytest.fixture(scope="module")
def contents(demo) -> dict[str, list[np.ndarray]]:
    """Masks per split, read with zipfile/pyarrow/PIL directly (not through the adapter)."""
    masks: dict[str, list[np.ndarray]] = {"train": [], "validation": []}
    with zipfile.ZipFile(demo / "train.zip") as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".mask.png"):
                im = Image.open(io.BytesIO(zf.read(name)))
                assert im.mode == "L"
                masks["train"].append(np.asarray(im))
    for shard in sorted((demo / "data").glob("validation-*.parquet")):
        for cell in pq.read_table(shard).column("mask").to_pylist():
            masks["validation"].append(np.asarray(Image.open(io.BytesIO(cell["bytes"]))))
    return masks


def test_same_seed_same_bytes_any_worker_count(demo, tmp_path):
    write_demo("diffseg", tmp_path / "again", images=N, size=SIZE, seed=3, workers=2)
    first, again = files_of(demo), files_of(tmp_path / "again")
    assert list(first) == list(again) == [
        "bench_demo.json", "data/validation-00000-of-00001.parquet", "labels.json", "train.zip"]
    for name in first:
        assert first[name] == again[name], name


def test_parallel_map_ignores_the_worker_count():
    from functools import partial

    from benchmark.datasets.demo.compose import parallel_map
    from benchmark.datasets.demo.writers.diffseg import make_item

    count = 40  # enough for the pool to be used (it runs small jobs in-process)
    plans = plan_edits(count, np.random.default_rng(0), EDITOR_NAMES)
    fn = partial(make_item, plans=plans, size=32, ids={n: i + 1 for i, n in enumerate(EDITOR_NAMES)})
    alone, pooled = parallel_map(fn, count, 9, workers=1), parallel_map(fn, count, 9, workers=2)
    assert [r[:2] for r in alone] == [r[:2] for r in pooled]
    assert len({r[0] for r in alone}) == count


def test_other_seed_other_data(demo, tmp_path):
    write_demo("diffseg", tmp_path / "other", images=N, size=SIZE, seed=4, workers=1)
    assert files_of(demo)["train.zip"] != files_of(tmp_path / "other")["train.zip"]


def test_masks_cover_editors_reals_and_multi_turn(contents):
    masks = contents["train"] + contents["validation"]
    assert len(masks) == N
    ids = [set(np.unique(m)) - {0} for m in masks]
    assert len(set().union(*ids)) >= 6
    assert sum(not s for s in ids) / N >= 0.1
    assert any(len(s) == 3 for s in ids)
    assert set().union(*ids) <= set(range(1, len(EDITOR_NAMES) + 1))


def test_zip_members_and_shards_follow_the_real_layout(demo):
    names = zipfile.ZipFile(demo / "train.zip").namelist()
    files = [n for n in names if not n.endswith("/")]
    assert names[0] == "train_copy/"
    assert all(n.startswith("train_copy/") and len(n.split("/")[1].split(".")[0]) == 8 for n in files)
    assert len(files) % 2 == 0
    table = pq.read_table(next((demo / "data").glob("*.parquet")))
    assert table.column_names == ["image", "mask"]
    assert table.schema.field("image").type.names == ["bytes", "path"]
    assert json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]["mask"] == {"_type": "Image"}


def test_validation_rows_are_split_into_even_shards(tmp_path, monkeypatch):
    from benchmark.datasets.demo.writers import diffseg

    monkeypatch.setattr(diffseg, "ROWS_PER_SHARD", 4)
    write_demo("diffseg", tmp_path / "d", images=50, size=32, seed=0, workers=2)
    shards = sorted((tmp_path / "d" / "data").glob("*.parquet"))
    assert [s.name for s in shards] == [f"validation-0000{k}-of-00003.parquet" for k in range(3)]
    assert [pq.ParquetFile(s).metadata.num_rows for s in shards] == [4, 3, 3]
    assert len(DiffSeg30k(tmp_path / "d" / "data", "validation")) == 10
    assert len(DiffSeg30k(shards[1], "validation")) == pq.ParquetFile(shards[1]).metadata.num_rows


def test_adapter_reads_folder_zip_data_folder_and_shard(demo, contents):
    names = list(EDITOR_NAMES)
    n_train, n_val = len(contents["train"]), len(contents["validation"])
    assert n_train + n_val == N and n_val == 2  # 8:2, stratified over real and edited
    assert DiffSeg30k.splits(demo) == ["train", "val"]
    for root, split, n in ((demo, "train", n_train), (demo, "validation", n_val),
                           (demo / "train.zip", "train", n_train), (demo / "data", "validation", n_val),
                           (next((demo / "data").glob("*.parquet")), "validation", n_val)):
        ds = DiffSeg30k(root, split)
        assert len(ds) == n and ds.generators == names
        masks = [s.mask for s in ds]
        assert all(np.array_equal(a, b) for a, b in zip(masks, contents[split]))
    assert json.loads((demo / "labels.json").read_text()) == {str(i + 1): n for i, n in enumerate(names)}


def test_data_check_agrees_with_an_independent_count(demo, contents, capsys):
    assert main(["data", "check", "--dataset", "diffseg", "--root", str(demo), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    areas = []
    for split, masks in contents.items():
        edited = [m for m in masks if m.any()]
        areas += [float((m > 0).mean()) for m in edited]
        assert report["splits"][canonical_split(split)] == {"images": len(masks), "edited": len(edited),
                                           "real": len(masks) - len(edited)}
    assert report["mask_area"]["mean"] == pytest.approx(np.mean(areas))
    assert report["mask_area"]["min"] == pytest.approx(min(areas))
    assert report["mask_area"]["max"] == pytest.approx(max(areas))
    assert report["errors"] == []


def test_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BenchError, match="not empty"):
        write_demo("diffseg", tmp_path, images=2, size=SIZE)
    assert main(["data", "demo", "--out", str(tmp_path), "--images", "2"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("bad", [["--images", "0"], ["--size", "8"], ["--seed", "-1"], ["--workers", "0"]])
def test_bad_options_are_clear_errors(tmp_path, capsys, bad):
    assert main(["data", "demo", "--out", str(tmp_path / "x"), *bad]) == 2
    assert bad[0] in capsys.readouterr().err


def scene(seed: int) -> np.ndarray:
    import skimage.data

    photo = (skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea())[seed % 3]
    return cv2.resize(photo, (96, 96), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("name", EDITOR_NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_editor_changes_only_inside_its_mask(name, seed):
    image = scene(seed)
    rng = np.random.default_rng(seed)
    mask = star_mask(image.shape[:2], rng, 0.15) if seed != 1 else superpixel_mask(image, rng, 0.15)
    before = image.copy()
    out = EDITORS.get(name)(image, mask, rng, scene(seed + 1))
    assert np.array_equal(image, before)  # input untouched
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])
    diff = np.abs(out.astype(int) - image)[mask]
    assert (diff.max(axis=1) > 0).mean() > 0.5 and diff.mean() > 2


def test_editors_are_registered_and_differ():
    assert len(EDITOR_NAMES) >= 6 and all(EDITORS.get(n) for n in EDITOR_NAMES)
    image, donor = scene(0), scene(1)
    mask = star_mask(image.shape[:2], np.random.default_rng(0), 0.2)
    outs = {n: EDITORS.get(n)(image, mask, np.random.default_rng(5), donor) for n in EDITOR_NAMES}
    for a, b in combinations(EDITOR_NAMES, 2):
        assert not np.array_equal(outs[a], outs[b]), (a, b)


def test_edit_image_labels_exactly_the_changed_turns():
    image, donor = scene(2), scene(0)
    ids = {n: i + 1 for i, n in enumerate(EDITOR_NAMES)}
    turns = EDITOR_NAMES[:3]
    edited, label, info = edit_image(image, np.random.default_rng(1), turns, ids, donor)
    assert [t.editor for t in info] == turns
    assert np.array_equal(edited[label == 0], image[label == 0])
    assert set(np.unique(label)) == {0, *(ids[n] for n in turns)}  # no turn fully hidden


def test_plan_edits_counts():
    plans = plan_edits(50, np.random.default_rng(0), EDITOR_NAMES)
    assert sum(not p for p in plans) == 10
    assert sorted(len(p) for p in plans if p).count(3) == 10  # 25% of 40 edited
    assert all(len(set(p)) == len(p) for p in plans)
    uses = [e for p in plans for e in p]
    assert max(map(uses.count, EDITOR_NAMES)) - min(map(uses.count, EDITOR_NAMES)) <= 2
    assert sum(not p for p in plan_edits(3, np.random.default_rng(0), EDITOR_NAMES)) == 1


def test_masks_stay_local_on_flat_images():
    from benchmark.datasets.demo.masks import MAX_AREA, random_mask

    flat = np.full((96, 96, 3), 128, np.uint8)  # SLIC makes one segment of the whole image here
    for seed in range(12):
        mask, kind = random_mask(flat, np.random.default_rng(seed), area=0.05)
        assert 16 <= mask.sum() <= 1.5 * MAX_AREA * mask.size, kind


def test_rerun_with_same_options_keeps_the_folder_other_options_refused(tmp_path):
    from benchmark.datasets.demo import write_demo
    from benchmark.errors import BenchError

    out = tmp_path / "demo"
    write_demo("diffseg", out, images=6, size=48, seed=1, workers=1)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert write_demo("diffseg", out, images=6, size=48, seed=1, workers=1).startswith(f"kept {out}")
    with pytest.raises(BenchError, match="not empty"):
        write_demo("diffseg", out, images=6, size=48, seed=2, workers=1)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # no partial folder left behind
    shard = next(out.glob("data/*.parquet"))
    shard.unlink()  # a demo folder missing a file is not "the same demo"
    with pytest.raises(BenchError, match=f"1 file.*missing or changed.*{shard.name}"):
        write_demo("diffseg", out, images=6, size=48, seed=1, workers=1)
