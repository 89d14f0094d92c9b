import subprocess
import sys

import numpy as np
import pytest

from benchmark.datasets import DiffSeg30k
from benchmark.errors import DataError

from diffseg_fixtures import GENERATORS, random_pairs, write_folder, write_labels, write_parquet, write_zip


def expected():
    return {i: (img, m) for i, img, m in random_pairs()}


def assert_matches(ds, ids=None):
    truth = expected()
    assert len(ds) == len(truth)
    for k, sample in enumerate(ds):
        key = ids[k] if ids else sample.image_id
        image, mask = truth[key]
        np.testing.assert_array_equal(sample.image, image)
        np.testing.assert_array_equal(sample.mask, mask)
        assert sample.label == int(mask.any())
        assert sample.generators == tuple(int(v) for v in np.unique(mask) if v)
        assert sample.meta["turns"] == len(sample.generators)


def test_folder_layout_with_labels_json(tmp_path):
    write_folder(tmp_path, random_pairs())
    write_labels(tmp_path)
    ds = DiffSeg30k(tmp_path, split="train")
    assert ds.generators == GENERATORS
    assert DiffSeg30k.splits(tmp_path) == ["train"]
    assert_matches(ds)


def test_palette_masks_read_by_raw_index(tmp_path):
    write_folder(tmp_path, random_pairs(), palette=True)
    write_labels(tmp_path)
    assert_matches(DiffSeg30k(tmp_path / "train_copy", split="train"))


def test_zip_read_in_place(tmp_path):
    z = write_zip(tmp_path / "train.zip", random_pairs())
    write_labels(tmp_path)
    assert_matches(DiffSeg30k(z, split="train"))
    assert_matches(DiffSeg30k(tmp_path, split="train"))
    assert not (tmp_path / "train_copy").exists()


@pytest.mark.parametrize("struct", [True, False])
def test_parquet_shards(tmp_path, struct):
    pairs = list(random_pairs())
    write_parquet(tmp_path / "data" / "validation-00000-of-00002.parquet", pairs[:4], struct)
    write_parquet(tmp_path / "data" / "validation-00001-of-00002.parquet", pairs[4:], struct)
    write_labels(tmp_path)
    for root in (tmp_path, tmp_path / "data"):
        ds = DiffSeg30k(root, split="val")
        assert ds.split == "val"
        assert ds.ids == [f"{i:08d}" for i in range(6)]  # global row numbers across shards
        assert ds.generators == GENERATORS
        assert_matches(ds)
    single = DiffSeg30k(tmp_path / "data" / "validation-00001-of-00002.parquet", split="validation")
    assert len(single) == 2


def test_parquet_ids_come_from_the_stored_file_names(tmp_path):
    pairs = list(random_pairs())[::-1]  # row k holds image 5 - k: row numbers would mislabel them
    shard = tmp_path / "validation-00000-of-00001.parquet"
    write_parquet(shard, pairs, paths=[f"{i}.image.png" for i, _, _ in pairs])
    ds = DiffSeg30k(shard, split="validation")
    assert ds.ids == [i for i, _, _ in pairs]  # the released ids, not row numbers
    assert_matches(ds)  # looks each sample up by its id
    # names that do not identify one image each fall back to row numbers
    write_parquet(shard, pairs, paths=["same.png"] * len(pairs))
    assert DiffSeg30k(shard, split="validation").ids == [f"{i:08d}" for i in range(len(pairs))]


def test_default_generator_map_without_labels(tmp_path):
    write_folder(tmp_path, random_pairs())
    assert DiffSeg30k(tmp_path).generators == list(DiffSeg30k.default_generators)
    assert DiffSeg30k(tmp_path, generators=["x", "y", "z"]).generators == ["x", "y", "z"]


def test_missing_split_names_what_exists(tmp_path):
    write_folder(tmp_path, random_pairs())
    with pytest.raises(DataError, match="no split 'validation' in this diffseg data .splits found: train"):
        DiffSeg30k(tmp_path, split="validation")


# -- broken data ------------------------------------------------------------------------
def broken_root(tmp_path, kind):
    folder = write_folder(tmp_path, random_pairs())
    write_labels(tmp_path)
    target = folder / "00000003.mask.png"
    if kind == "truncated":
        target.write_bytes(target.read_bytes()[:60])
    elif kind == "size":
        from diffseg_fixtures import png_bytes
        target.write_bytes(png_bytes(np.zeros((5, 7), np.uint8), "L"))
    elif kind == "label":
        from diffseg_fixtures import png_bytes
        bad = np.zeros((24, 32), np.uint8)
        bad[0, 0] = 9
        target.write_bytes(png_bytes(bad, "L"))
    elif kind == "missing":
        target.unlink()
    elif kind == "image":
        (folder / "00000003.image.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return tmp_path, target


@pytest.mark.parametrize("kind,message", [
    ("truncated", "unreadable or truncated mask"),
    ("size", "mask is 7x5 but its image is 32x24"),
    ("label", "label id 9 is outside the generator map"),
    ("missing", "image has no matching .mask.png"),
    ("image", "truncated PNG (no IEND chunk)"),
])
def test_broken_sample_errors_name_the_file(tmp_path, kind, message):
    root, target = broken_root(tmp_path, kind)
    ds = DiffSeg30k(root, strict=False)
    errors = ds.problems[:]
    for record in ds.records:
        try:
            ds.load(record)
        except DataError as exc:
            errors.append(exc)
    assert len(errors) == 1
    assert message in str(errors[0])
    assert "00000003" in errors[0].file


@pytest.mark.parametrize("kind", ["truncated", "size", "label", "missing"])
def test_check_cli_exits_nonzero_with_one_line_per_broken_file(tmp_path, kind):
    root, target = broken_root(tmp_path, kind)
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "data", "check", "--dataset", "diffseg",
                           "--root", str(root), "--json"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "00000003" in lines[0]


def test_cli_reports_bad_root_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "data", "check", "--dataset", "diffseg",
                           "--root", str(tmp_path / "nope")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "nope" in proc.stderr and "does not exist" in proc.stderr


@pytest.mark.parametrize("name", ["brk[/x]", "brk[red]"])
def test_cli_prints_paths_verbatim(tmp_path, name, capsys):
    # Paths are user text, never rich markup: "[/x]" must not crash, "[red]" must not vanish.
    from benchmark.cli.main import main

    assert main(["data", "check", "--dataset", "diffseg", "--root", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert f"{name}" in err.replace("\n", "") and "does not exist" in err.replace("\n", "")
