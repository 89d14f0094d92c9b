"""Distortions are deterministic and never touch the GT; export -> pack -> score round trips."""
import json
import zipfile

import cv2
import numpy as np
import pytest
from diffseg_fixtures import make_diffseg
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k
from benchmark.distortions import apply_distortion, canonical, image_seed, severity
from benchmark.errors import BenchError
from benchmark.predictions.codecs import encode_rle


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_diffseg(tmp_path_factory.mktemp("ds"), n=8)


def _image(seed=0, shape=(37, 53, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_jpeg_is_deterministic_and_lossy():
    img = _image()
    a, b = apply_distortion("jpeg60", img), apply_distortion("jpeg60", img.copy())
    assert a.tobytes() == b.tobytes() and a.shape == img.shape and a.dtype == np.uint8
    assert not np.array_equal(a, img)
    err60 = np.abs(a.astype(int) - img).mean()
    err95 = np.abs(apply_distortion("jpeg95", img).astype(int) - img).mean()
    assert err95 < err60


def test_jpeg_policy_names_the_codec_release():
    from PIL import features

    from benchmark.distortions.standard import Jpeg

    encoder = Jpeg.versions()["jpeg_encoder"]
    if features.check_feature("libjpeg_turbo"):
        # "libjpeg 6.2" alone would name the API level every turbo release reports.
        assert f"libjpeg-turbo {features.version_feature('libjpeg_turbo')}" in encoder
    assert features.version("jpg") in encoder


def test_resize_scale_blur_noise():
    img = _image()
    assert apply_distortion("resize26", img).shape == (18, 26, 3)        # longer side 53 -> 26
    assert apply_distortion("scale2", img).shape == (74, 106, 3)
    assert np.array_equal(apply_distortion("blur0", img), img)
    blurred = apply_distortion("blur2", img)
    assert blurred.std() < img.std() / 2                                   # white noise loses most variance
    n1, n2 = apply_distortion("noise5", img, seed=1), apply_distortion("noise5", img, seed=1)
    assert np.array_equal(n1, n2) and not np.array_equal(n1, apply_distortion("noise5", img, seed=2))
    assert abs((n1.astype(float) - img).std() - 5) < 0.5
    chain = apply_distortion("jpeg60+resize26", img)
    assert np.array_equal(chain, apply_distortion("resize26", apply_distortion("jpeg60", img)))
    assert image_seed("00000001") == image_seed("00000001") != image_seed("00000002")


def test_specs():
    assert canonical(None) == canonical("clean") == "clean"
    assert canonical("JPEG60+Resize256") == "jpeg60+resize256"
    assert severity("jpeg60") == ("jpeg", 60.0) and severity("clean") == ("clean", None)
    for bad in ("jpeg", "jpeg0", "jpeg101", "warp3", "jpeg60.5", "resize-1"):
        with pytest.raises(BenchError):
            apply_distortion(bad, _image())


def test_export_distorts_images_and_never_the_gt(tmp_path, root):
    ds = DiffSeg30k(root, split="train")
    out = tmp_path / "exp"
    assert main(["data", "export", "--dataset", "diffseg", "--root", str(root), "--split", "train",
                 "--distortion", "jpeg50", "--with-masks", "--out", str(out), "--workers", "1"]) == 0
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["distortion"] == "jpeg50" and manifest["generators"] == ds.generators
    for record in ds.records:
        sample = ds.load(record)
        exported = cv2.cvtColor(cv2.imread(str(out / "images" / f"{record.image_id}.png")), cv2.COLOR_BGR2RGB)
        assert np.array_equal(exported, apply_distortion("jpeg50", sample.image, image_seed(record.image_id)))
        assert np.array_equal(np.asarray(Image.open(out / "masks" / f"{record.image_id}.png")), sample.mask)
        assert np.array_equal(ds.load(record).image, sample.image)   # dataset files untouched


@pytest.mark.parametrize("task,form", [("semantic", "folder"), ("binary", "zip"), ("binary", "rle")])
def test_export_pack_score_round_trip(tmp_path, root, task, form):
    exp = tmp_path / "exp"
    assert main(["data", "export", "--dataset", "diffseg", "--root", str(root), "--split", "train",
                 "--with-masks", "--task", task, "--out", str(exp), "--workers", "1"]) == 0
    masks = exp / "masks"
    if form == "rle":
        entries = [{"image_id": p.stem, "segmentation": encode_rle(np.asarray(Image.open(p)) > 0)}
                   for p in sorted(masks.glob("*.png"))]
        masks = exp / "gt_rle.json"
        masks.write_text(json.dumps(entries))
    sub = tmp_path / ("sub.zip" if form != "folder" else "sub")
    assert main(["pack", "--masks", str(masks), "--out", str(sub), "--method", "oracle",
                 "--root", str(root)]) == 0
    if form != "folder":
        assert zipfile.is_zipfile(sub)
        assert ("masks.json" in zipfile.ZipFile(sub).namelist()) == (form == "rle")
    out = tmp_path / "r.json"
    assert main(["score", str(sub), "--dataset", "diffseg", "--root", str(root), "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    result = json.loads(out.read_text())
    m = result["metrics"]
    assert m["miou"] == m["bf1"] == m["iou"] == m["pixel_acc"] == 1.0
    assert result["method"] == "oracle" and result["task"] == task


def test_pack_checks_and_converts_inputs(tmp_path, root, capsys):
    masks = tmp_path / "m"
    masks.mkdir()
    ds = DiffSeg30k(root, split="train")
    for record in ds.records:   # a detector writing palette PNGs of 0/1 masks
        mask = (ds.load_target(record).mask > 0).astype(np.uint8)
        im = Image.fromarray(mask, mode="L").convert("P")
        im.save(masks / f"{record.image_id}.png")
    args = ["pack", "--masks", str(masks), "--task", "binary", "--dataset", "diffseg", "--split", "train",
            "--root", str(root)]
    assert main(args + ["--out", str(tmp_path / "a")]) == 2
    assert "only 0/1" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert main(args + ["--scale01", "--out", str(tmp_path / "b")]) == 0
    out = tmp_path / "r.json"
    assert main(["score", str(tmp_path / "b"), "--dataset", "diffseg", "--root", str(root), "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    assert json.loads(out.read_text())["metrics"]["miou"] == 1.0
    (masks / "00000099.png").write_bytes(b"junk")
    (masks / "notes.txt").write_text("x")
    assert main(args + ["--scale01", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "00000099.png" in err and not (tmp_path / "c").exists()


def test_pack_refuses_options_that_contradict_the_export(tmp_path, demo_roots, capsys):
    """DOLOS exports semantic GT masks by default: packed as binary, ids 1..6 would be read as
    P(edited) = 1/255..6/255 and an oracle would score IoU 0. `bench pack` refuses it in one line
    naming the option and the export.json."""
    root = demo_roots["dolos"]
    exp = tmp_path / "exp"
    assert main(["data", "export", "--dataset", "dolos", "--root", str(root), "--split", "test", "--with-masks",
                 "--out", str(exp), "--workers", "1"]) == 0
    assert json.loads((exp / "export.json").read_text())["task"] == "semantic"
    for option, value, said in (("--task", "binary", "task semantic"), ("--split", "val", "split test"),
                                ("--dataset", "dolos[setup=C]", "dataset dolos"),
                                ("--generators", "a,b", "generators p2,")):
        capsys.readouterr()
        assert main(["pack", "--masks", str(exp / "masks"), "--out", str(tmp_path / "sub"), option, value]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert f"{option} {value} contradicts {exp / 'export.json'}, which says {said}" in err
        assert not (tmp_path / "sub").exists()
    # export.json inside the masks folder is read there, not taken for a mask; agreeing options pass
    (exp / "export.json").rename(exp / "masks" / "export.json")
    assert main(["pack", "--masks", str(exp / "masks"), "--out", str(tmp_path / "sub.zip"), "--task", "semantic",
                 "--split", "testing", "--root", str(root)]) == 0
    out = tmp_path / "r.json"
    assert main(["score", str(tmp_path / "sub.zip"), "--dataset", "dolos", "--root", str(root), "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    assert json.loads(out.read_text())["metrics"]["miou"] == 1.0
