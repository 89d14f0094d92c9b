"""The validator names the file of every broken-submission kind, all at once; bench score fails in one line."""
import json

import numpy as np
import pytest
from diffseg_fixtures import GENERATORS, make_diffseg
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k
from benchmark.predictions import validate_predictions, write_predictions
from benchmark.hashing import sha256_hex
from benchmark.predictions.codecs import decode_rle, encode_rle
from benchmark.predictions.reader import Predictions


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = make_diffseg(tmp_path_factory.mktemp("ds"), n=6)
    ds = DiffSeg30k(root, split="train")
    return root, {r.image_id: ds.load_target(r).mask for r in ds.records}


def _write(path, gts, task="binary", **kw):
    masks = ((i, (m > 0) if task == "binary" else m) for i, m in gts.items())
    return write_predictions(path, task, "diffseg", "train", GENERATORS, "t", masks, **kw)


def _rehash(pred):
    """Re-sign a tampered folder so that only the intended problem remains."""
    manifest = json.loads((pred / "manifest.json").read_text())
    manifest["files"] = {p.relative_to(pred).as_posix(): sha256_hex(p.read_bytes())
                         for p in sorted(pred.rglob("*")) if p.is_file() and p.name != "manifest.json"}
    (pred / "manifest.json").write_text(json.dumps(manifest))


def _problems(pred, root):
    return validate_predictions(pred, "diffseg", str(root), "train")


def test_valid_submission_has_no_problem(tmp_path, data):
    root, gts = data
    assert _problems(_write(tmp_path / "p", gts, scores={i: 0.5 for i in gts}), root) == []


def test_each_broken_kind_is_reported_with_its_file(tmp_path, data):
    root, gts = data
    ids = sorted(gts)
    pred = _write(tmp_path / "p", gts, task="semantic")
    (pred / f"masks/{ids[0]}.png").unlink()                                           # missing id
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(pred / "masks/99999999.png")      # extra id
    (pred / f"masks/{ids[1]}.png").write_bytes(b"not a png at all")                    # unreadable
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(pred / f"masks/{ids[2]}.png")  # wrong mode
    Image.fromarray(np.full((4, 4), 9, np.uint8)).save(pred / f"masks/{ids[3]}.png")   # class id out of range
    (pred / f"masks/{ids[4]}.PNG").write_bytes((pred / f"masks/{ids[4]}.png").read_bytes())  # duplicate
    (pred / "scores.csv").write_text(f"image_id,score\n{ids[1]},nan\n{ids[2]},inf\n{ids[3]},1.5\n{ids[4]},0.2\n{ids[4]},0.3\n")
    _rehash(pred)
    Image.fromarray(np.ones((4, 4), np.uint8)).save(pred / f"masks/{ids[5]}.png")      # hash mismatch
    problems = _problems(pred, root)
    text = "\n".join(problems)
    expect = {
        "masks: 1 missing mask(s)": ids[0], "extra mask(s)": "99999999",
        f"masks/{ids[1]}.png: not a PNG": None, f"masks/{ids[2]}.png: PNG is 8-bit RGB": None,
        f"masks/{ids[3]}.png: class id 9": None, "duplicate image id": ids[4],
        "scores.csv: line 2": "nan", "scores.csv: line 3": "inf", "scores.csv: line 4": "1.5",
        "scores.csv: line 6: duplicate image id": ids[4],
        f"masks/{ids[5]}.png: SHA-256 does not match": None,
    }
    for fragment, detail in expect.items():
        line = next((p for p in problems if fragment in p), None)
        assert line is not None, f"no problem '{fragment}' in:\n{text}"
        assert str(pred) in line and (detail is None or detail in line)


def test_manifest_problems(tmp_path, data):
    root, gts = data
    pred = _write(tmp_path / "p", gts)
    (pred / "manifest.json").unlink()
    assert "manifest.json" in _problems(pred, root)[0]
    pred = _write(tmp_path / "q", gts)
    manifest = json.loads((pred / "manifest.json").read_text())
    del manifest["task"]
    (pred / "manifest.json").write_text(json.dumps(manifest))
    assert "missing field(s) task" in _problems(pred, root)[0]
    pred = _write(tmp_path / "r", gts)
    (pred / "notes.txt").write_text("x")
    assert any("notes.txt: present but not listed" in p for p in _problems(pred, root))


def test_zip_of_a_folder_and_zip_problems(tmp_path, data):
    root, gts = data
    import zipfile

    folder = _write(tmp_path / "sub", gts)
    with zipfile.ZipFile(tmp_path / "sub.zip", "w") as z:   # zipped with its top folder
        for p in sorted(folder.rglob("*")):
            z.write(p, f"sub/{p.relative_to(folder).as_posix()}")
    assert _problems(tmp_path / "sub.zip", root) == []
    broken = _write(tmp_path / "b.zip", gts)
    with zipfile.ZipFile(broken, "a") as z:
        z.writestr(f"masks/{sorted(gts)[0]}.png", b"junk")   # the same member stored twice
    assert any("stored 2 times" in p and "b.zip" in p for p in _problems(broken, root))


def test_rle_masks(tmp_path, data):
    root, gts = data
    pred = _write(tmp_path / "r.zip", gts, mask_format="rle")
    assert _problems(pred, root) == []
    preds = Predictions(pred)
    for i, m in gts.items():
        assert np.array_equal(preds.read_mask(i) > 0, m > 0)
    # uncompressed COCO counts decode the same, column-major
    m = np.zeros((3, 4), np.uint8)
    m[1, 2] = m[2, 2] = 1
    assert np.array_equal(decode_rle({"size": [3, 4], "counts": [7, 2, 3]}, "x") > 0, m > 0)
    assert np.array_equal(decode_rle(encode_rle(m), "x") > 0, m > 0)
    bad = _write(tmp_path / "bad", gts, mask_format="rle")
    entries = json.loads((bad / "masks.json").read_text())
    entries.append(dict(entries[0]))
    entries[1]["segmentation"] = {"size": [2, 2], "counts": [1, 1]}
    (bad / "masks.json").write_text(json.dumps(entries))
    _rehash(bad)
    problems = _problems(bad, root)
    assert any("masks.json: duplicate image id" in p for p in problems)
    assert any("masks.json[" in p and "malformed COCO RLE" in p for p in problems)


def test_score_cli_fails_in_one_line(tmp_path, data, capsys):
    root, gts = data
    pred = _write(tmp_path / "p", gts)
    ids = sorted(gts)
    (pred / f"masks/{ids[0]}.png").unlink()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(pred / f"masks/{ids[1]}.png")
    _rehash(pred)
    code = main(["score", str(pred), "--dataset", "diffseg", "--root", str(root), "--out", str(tmp_path / "r.json"),
                 "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "1 missing mask(s)" in lines[0] and f"masks/{ids[1]}.png" in lines[0]
    assert not (tmp_path / "r.json").exists()
    # a mismatched dataset split is refused as well
    code = main(["score", str(pred), "--dataset", "diffseg", "--root", str(root), "--split", "validation",
                 "--out", str(tmp_path / "r.json"), "--quiet"])
    assert code == 2 and "Traceback" not in capsys.readouterr().err
