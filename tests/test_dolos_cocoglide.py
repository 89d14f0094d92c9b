import json

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.datasets import CocoGlide, Dolos
from benchmark.datasets.dolos import GENERATORS, setups
from benchmark.errors import BenchError, DataError
from maskfiles import encode_image, rect_mask

RNG = np.random.default_rng(1)


def rgb(h=32, w=32):
    return RNG.integers(0, 255, (h, w, 3), dtype=np.uint8)


def inverted_rgb(edited: np.ndarray) -> bytes:
    """DOLOS mask: 255 = real; fake pixels carry other values, sometimes only in channel 0."""
    m = np.full(edited.shape + (3,), 255, np.uint8)
    m[edited, 0] = RNG.integers(0, 255, int(edited.sum()))
    return encode_image(m)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def dolos(tmp_path):
    truth = {}
    for source, locals_ in (("celebahq", ("repaint-p2", "repaint-p2-9k", "ldm", "lama", "pluralistic")),
                            ("ffhq", ("repaint-p2",))):
        for split in ("train", "valid", "test"):
            for name in ("b.png", "a.png"):
                write(tmp_path / source / "real" / split / name, encode_image(rgb()))
                write(tmp_path / source / "fake" / "p2" / split / name, encode_image(rgb()))
                for i, g in enumerate(locals_):
                    edited = rect_mask(32, 32, i, 2 * i, 10 + i, 20)
                    write(tmp_path / source / "fake" / g / "images" / split / name, encode_image(rgb()))
                    write(tmp_path / source / "fake" / g / "masks" / split / name, inverted_rgb(edited))
                    truth[f"{source}/{g}/{name[:-4]}", split] = edited
    return tmp_path, truth


def test_dolos_inverted_masks_come_out_edited_one(dolos):
    root, truth = dolos
    assert Dolos.splits(root) == ["train", "val", "test"]
    seen = 0
    for split in ("train", "test"):
        for s in Dolos(root, split):
            subset = s.meta["subset"]
            if subset == "real":
                assert s.label == 0 and not s.mask.any()
            elif subset == "p2":
                assert s.label == 1 and (s.mask == 255).all() and s.generators == (1,) and s.meta["mask"] == "none"
            else:
                k = GENERATORS.index(subset) + 1
                assert np.array_equal(s.mask, truth[s.image_id, split].astype(np.uint8) * k)
                seen += 1
    assert seen == 2 * 2 * 6


def test_dolos_sorted_order_and_setups(dolos):
    root, _ = dolos
    ids = Dolos(root, "valid", setup="A").ids
    assert ids == ["celebahq/real/a", "celebahq/real/b", "celebahq/p2/a", "celebahq/p2/b",
                   "ffhq/real/a", "ffhq/real/b", "ffhq/p2/a", "ffhq/p2/b"]
    b = Dolos(root, "train", setup="B")
    assert {r.subset for r in b.records} == {"real", "repaint-p2-9k"}
    fake = next(s for s in b if s.label)
    assert (fake.mask == 255).all() and fake.meta["mask"] == "withheld" and fake.generators == (3,)
    c = Dolos(root, "train", setup="C")
    assert {r.subset for r in c.records} == {"repaint-p2"} and all(s.mask.max() == 2 for s in c)
    assert {r.subset for r in Dolos(root, "train", setup="only-lama").records} == {"lama"}
    assert {r.subset for r in Dolos(root, "train", setup="all-but-ldm").records} == {"repaint-p2", "lama", "pluralistic"}
    assert set(setups()) >= {"A", "B", "C", "only-ldm", "all-but-pluralistic"}
    with pytest.raises(BenchError, match="unknown DOLOS setup"):
        Dolos(root, "train", setup="D")


def test_dolos_missing_mask_and_cli_setup(dolos, capsys):
    root, _ = dolos
    (root / "ffhq" / "fake" / "repaint-p2" / "masks" / "test" / "a.png").unlink()
    with pytest.raises(DataError, match="a.png: image has no mask"):
        Dolos(root, "test")
    capsys.readouterr()
    assert main(["data", "check", "--dataset", "dolos", "--root", str(root), "--json", "--set", "setup=A"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["splits"]["train"] == {"images": 8, "edited": 4, "real": 4}
    assert main(["data", "check", "--dataset", "dolos", "--root", str(root), "--json"]) == 1
    err = capsys.readouterr().err
    assert "ffhq/fake/repaint-p2/images/test/a.png" in err and "Traceback" not in err
    assert main(["data", "check", "--dataset", "dolos", "--root", str(root), "--set", "colour=red"]) == 2
    assert "no option 'colour'" in capsys.readouterr().err


@pytest.fixture
def cocoglide(tmp_path):
    base = tmp_path / "CocoGlide"
    truth = {}
    for i, (cat, cid) in enumerate((("dining table", "000123"), ("dog", "004567"), ("traffic light", "89"))):
        edited = rect_mask(24, 24, 2, 2, 10 + i, 12)
        truth[cid] = edited
        write(base / "fake" / f"glide_inpainting_val2017_{cid}_up.png", encode_image(rgb(24, 24)))
        write(base / "mask" / f"{cat}_{cid}_mask.png", encode_image(edited.astype(np.uint8) * (1 if i % 2 else 255)))
        write(base / "real" / f"{cat}_{cid}.png", encode_image(rgb(24, 24)))
    return tmp_path, truth


def test_cocoglide_pairs_on_coco_id(cocoglide):
    root, truth = cocoglide
    adapter = CocoGlide(root, "test")
    assert CocoGlide.splits(root) == ["test"] and len(adapter) == 6
    for s in adapter:
        if s.label:
            assert np.array_equal(s.mask, truth[s.meta["coco_id"]].astype(np.uint8))
        else:
            assert not s.mask.any()
    assert {s.meta["category"] for s in adapter} == {"dining table", "dog", "traffic light"}


def test_audits_warn_on_inverted_masks_and_format_shortcut(cocoglide, capsys):
    root, truth = cocoglide
    for cid, edited in truth.items():
        [path] = (root / "CocoGlide" / "mask").glob(f"*_{cid}_mask.png")
        path.write_bytes(encode_image(np.where(edited, 0, 255).astype(np.uint8)))
        [real] = (root / "CocoGlide" / "real").glob(f"*_{cid}.png")
        real.write_bytes(encode_image(rgb(24, 24), "JPEG", 80))
    capsys.readouterr()
    assert main(["data", "check", "--dataset", "cocoglide", "--root", str(root), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("masks look inverted" in w for w in warnings)
    assert any("is 100% of real images but 0% of edited ones" in w and "100% balanced accuracy" in w
               for w in warnings)


@pytest.mark.parametrize("real,edited,accuracy", [
    ({"jpeg q95": 45, "png": 55}, {"png": 100}, "72%"),   # a minority format gives reals away
    ({"png": 88, "jpeg q95": 12}, {"png": 100}, "56%"),
    ({"png": 95, "jpeg q95": 5}, {"png": 100}, None),     # under 10 points of total variation
    ({"jpeg q95": 50, "png": 50}, {"png": 50, "jpeg q95": 50}, None),
])
def test_format_audit_compares_whole_distributions(real, edited, accuracy):
    from collections import Counter

    from benchmark.datacheck import CheckReport, encoding_warnings

    report = CheckReport("x", "x", "root", [])
    report.encodings = {"real": Counter(real), "edited": Counter(edited)}
    warnings = encoding_warnings(report)
    if accuracy is None:
        assert warnings == []
    else:  # balanced accuracy of guessing "real" exactly when the format is jpeg: (p_real + 1) / 2
        [w] = warnings
        assert "jpeg q95 is" in w and f"{accuracy} balanced accuracy" in w


def test_audits_quiet_on_clean_data(cocoglide, capsys):
    root, _ = cocoglide
    capsys.readouterr()
    assert main(["data", "check", "--dataset", "cocoglide", "--root", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []
