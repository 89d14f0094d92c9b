"""One regression test per class of hostile or broken input: containment, exact RLE, bounded
decoding, one clear line instead of a traceback, and no silent acceptance."""
import csv
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import DiffSeg30k, Dolos, SemiTruths
from benchmark.errors import BenchError, DataError
from benchmark.predictions import write_predictions
from benchmark.predictions.codecs import decode_rle, encode_rle
from benchmark.predictions.reader import Predictions
from benchmark.predictions.problems import PredictionsError
from benchmark.scoring import score_predictions
from diffseg_fixtures import random_pairs, write_parquet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "perf"))
from bomb_guard import png_bomb, rle_entry, score_in_child, write_dataset, write_submission  # noqa: E402

GENS = ["SD2", "SD3.5", "SDXL", "Flux.1", "Glide", "Kolors", "HunyuanDiT-1.1", "Kandinsky-2.2"]


@pytest.fixture
def data(tmp_path):
    """Two 64x64 images (one edited) in the DiffSeg30k folder layout."""
    root = write_dataset(tmp_path / "data")
    ds = DiffSeg30k(root)
    return root, {r.image_id: ds.load_target(r).mask for r in ds.records}


def one_line_error(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in captured.err + captured.out, err
    return err


# -- containment -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["../../../escaped", "/abs/escaped", "a\\..\\b", "a/./b", "nul\x00x", "tab\tx", ""])
def test_ids_that_leave_their_folder_are_refused_when_indexed(tmp_path, capsys, bad):
    pairs = random_pairs(2)
    shard = write_parquet(tmp_path / "d" / "train-00000-of-00001.parquet", pairs)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(shard)
    pq.write_table(table.append_column("image_id", pa.array([bad, "fine"])), shard)
    with pytest.raises(DataError, match="breaks the id grammar|is empty"):
        DiffSeg30k(tmp_path / "d")
    capsys.readouterr()
    assert main(["data", "check", "--dataset", "diffseg", "--root", str(tmp_path / "d"), "--json"]) == 1
    assert "id grammar" in capsys.readouterr().err or bad == ""
    err = one_line_error(capsys, "data", "export", "--dataset", "diffseg", "--root", str(tmp_path / "d"), "--split",
                         "train", "--out", str(tmp_path / "out" / "x"))
    assert "parquet" in err
    assert not (tmp_path / "escaped").exists() and not Path("/abs/escaped").exists()
    assert not (tmp_path / "out").exists()  # refused before the output folder was made


def test_outputs_are_never_written_through_links(data, tmp_path, capsys):
    root, gts = data
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items())
    dangling = tmp_path / "r.json"
    dangling.symlink_to(tmp_path / "elsewhere.json")
    err = one_line_error(capsys, "score", str(pred), "--dataset", "diffseg", "--root", str(root), "--out", str(dangling))
    assert "is a link" in err and not (tmp_path / "elsewhere.json").exists()
    folder_link = tmp_path / "exp"
    folder_link.symlink_to(tmp_path / "target_dir")
    err = one_line_error(capsys, "data", "export", "--dataset", "diffseg", "--root", str(root), "--split", "train",
                         "--out", str(folder_link))
    assert "is a link" in err and not (tmp_path / "target_dir").exists()
    with pytest.raises(BenchError, match="breaks the id grammar"):
        write_predictions(tmp_path / "q", "binary", "diffseg", "train", GENS, "m", [("../x", np.zeros((4, 4)))])


def test_unwritable_output_is_refused_before_scoring(data, tmp_path, capsys):
    root, gts = data
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items())
    (tmp_path / "afile").write_text("x")
    err = one_line_error(capsys, "score", str(pred), "--dataset", "diffseg", "--root", str(root),
                         "--out", str(tmp_path / "afile" / "r.json"))
    assert "cannot create folder" in err


# -- exact RLE, determinism ------------------------------------------------------------------
def test_short_rle_is_refused_and_valid_submissions_score_to_identical_bytes(data, tmp_path, capsys):
    root, gts = data
    short = {"size": [64, 64], "counts": rle_entry(64, 64, [100, 50])["counts"]}  # covers 150 of 4096 pixels
    with pytest.raises(DataError, match="runs cover 150 pixels, size 64x64 has 4096"):
        decode_rle(short, "x")
    with pytest.raises(DataError, match="runs cover"):
        decode_rle({"size": [64, 64], "counts": [100, 50]}, "x")
    rle = [{"image_id": i, "segmentation": short if i == "00000001" else encode_rle(m > 0)} for i, m in gts.items()]
    bad = write_submission(tmp_path / "short.zip", rle=rle)
    for _ in range(2):
        err = one_line_error(capsys, "score", str(bad), "--dataset", "diffseg", "--root", str(root),
                             "--out", str(tmp_path / "never.json"))
        assert "runs cover 150 pixels" in err
    assert not (tmp_path / "never.json").exists()
    good = write_submission(tmp_path / "good.zip", rle=[{"image_id": i, "segmentation": encode_rle(m > 0)}
                                                        for i, m in gts.items()])
    for name in ("a.json", "b.json"):
        assert main(["score", str(good), "--dataset", "diffseg", "--root", str(root), "--out", str(tmp_path / name),
                     "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text())["metrics"]["miou"] == 1.0


# -- bounded decoding ------------------------------------------------------------------------
def test_bombs_are_refused_fast_and_small(data, tmp_path):
    root, _ = data
    small = png_bomb(64, 64)
    png = write_submission(tmp_path / "png.zip", {"00000000": png_bomb(30000, 30000), "00000001": small})
    rle = write_submission(tmp_path / "rle.zip", rle=[{"image_id": "00000000", "segmentation": rle_entry(20000, 20000)},
                                                       {"image_id": "00000001", "segmentation": rle_entry(64, 64)}])
    for sub in (png, rle):
        r = score_in_child(sub, root)
        assert not r["scored"] and "over the cap" in r["message"] and "refused before decoding" in r["message"]
        assert r["seconds"] < 1.0 and r["peak_mib"] < 1024 and r["growth_mib"] < 200


def test_a_network_resolution_map_of_a_small_image_is_scored():
    """The cap follows the ground truth's size only above 2048 px a side: a 512 px model's map
    of a 200 px image (6.5x its pixels) is no bomb, and `bench predict` writes such maps."""
    from benchmark.predictions.codecs import map_size_problem

    assert map_size_problem((512, 512), (200, 200)) is None
    assert map_size_problem((2048, 2048), (64, 64)) is None
    assert map_size_problem((2049, 2048), (64, 64))[0] == "png_too_large"
    assert map_size_problem((4000, 4000), (2000, 2000)) is None
    assert map_size_problem((4001, 4000), (2000, 2000))[0] == "png_too_large"


def test_zip_members_are_checked_before_inflating(data, tmp_path):
    root, gts = data
    pred = write_predictions(tmp_path / "p.zip", "binary", "diffseg", "train", GENS, "m", gts.items())
    with zipfile.ZipFile(pred) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d if n != "masks/00000000.png" else d + bytes(4 << 20))  # 4 MiB of zeros
    with pytest.raises(PredictionsError, match="inflates .*-fold, over the cap of 200"):
        score_predictions(bomb, "diffseg", root, workers=1, progress=False)


def _corrupt(pred: Path, out: Path, how: str) -> Path:
    data = bytearray(pred.read_bytes())
    with zipfile.ZipFile(pred) as zf:
        info = zf.getinfo("masks/00000001.png")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    if how == "deflate":
        data[start: start + 8] = b"\xff" * 8
    with zipfile.ZipFile(pred) as zf:
        central = data.find(b"masks/00000001.png", zf.start_dir) - 46
    assert data[central: central + 4] == b"PK\x01\x02"
    if how == "encrypted":
        for at in (info.header_offset + 6, central + 8):
            data[at] |= 1
    if how == "deflate64":
        for at in (info.header_offset + 8, central + 10):
            data[at: at + 2] = (9).to_bytes(2, "little")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("how", ["deflate", "encrypted", "deflate64"])
def test_broken_archive_members_give_one_line(data, tmp_path, capsys, how):
    root, gts = data
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        pass
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items())
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(pred.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(pred).as_posix())
    err = one_line_error(capsys, "score", str(_corrupt(src, tmp_path / f"{how}.zip", how)), "--dataset", "diffseg",
                         "--root", str(root), "--out", str(tmp_path / "r.json"))
    assert "masks/00000001.png" in err and "cannot read archive member" in err


def test_dataset_images_past_the_decompression_bomb_limit_give_one_line(tmp_path):
    real = tmp_path / "celebahq" / "real" / "test"
    real.mkdir(parents=True)
    (real / "a.png").write_bytes(png_bomb(20000, 20000))  # 400 MP: past Pillow's bomb limit
    ds = Dolos(tmp_path, "test")
    with pytest.raises(DataError, match="a.png: image too large to decode safely"):
        ds.load_target(ds.records[0])


# -- one line, every time ----------------------------------------------------------------------
def _manifest_with(pred: Path, **changes) -> Path:
    manifest = json.loads((pred / "manifest.json").read_text())
    manifest.update(changes)
    (pred / "manifest.json").write_text(json.dumps(manifest))
    return pred


@pytest.mark.parametrize("change,message", [
    ({"generators": 5}, "'generators' must map class ids"),
    ({"generators": [{"a": 1}]}, "'generators' must map class ids"),
    ({"method": "x" * 5000}, "'method' must be a text of 1 to 1000"),
    ({"files": {"masks/a.png": 3}}, "'files' must map"),
    ({"train_generators": "SD2"}, "'train_generators' must be a list"),
])
def test_malformed_manifest_fields(data, tmp_path, change, message):
    root, gts = data
    pred = _manifest_with(write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items()), **change)
    with pytest.raises(DataError, match=message):
        Predictions(pred)


@pytest.mark.parametrize("distortion", ["jpeg999", "zzz"])
def test_a_bad_distortion_in_a_manifest_names_the_file(data, tmp_path, capsys, distortion):
    root, gts = data
    pred = write_predictions(tmp_path / "p.zip", "binary", "diffseg", "train", GENS, "m", gts.items(),
                             extra_manifest={"distortion": distortion})
    with pytest.raises(DataError) as err:
        Predictions(pred)
    assert err.value.file == f"{pred}:manifest.json" and distortion in err.value.problem
    line = one_line_error(capsys, "score", str(pred), "--dataset", "diffseg", "--root", str(root),
                          "--out", str(tmp_path / "r.json"))
    assert f"{pred}:manifest.json" in line and "'distortion'" in line


def test_problems_carry_the_code_set_where_they_are_found(data, tmp_path):
    """Codes come from the reader and the codecs, not from the wording of their messages."""
    import pickle

    root, gts = data
    ids = sorted(gts)
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items(),
                             scores={i: 0.5 for i in ids})
    (pred / "scores.csv").write_text(f"image_id,score\n{ids[0]},nan\n{ids[1]},0.5\n{ids[1]},0.2\n")
    (pred / f"masks/{ids[1]}.png").write_bytes(png_bomb(3000, 3000))
    preds = Predictions(pred)
    codes = {p.code for p in preds.problems}
    assert codes == {"hash_mismatch"}  # scores.csv changed after packing: nothing read from it
    manifest = json.loads((pred / "manifest.json").read_text())
    manifest["files"].pop("scores.csv")
    (pred / "manifest.json").write_text(json.dumps(manifest))
    preds = Predictions(pred)
    assert {p.code for p in preds.problems} == {"bad_score", "duplicate_member", "invalid_predictions"}
    with pytest.raises(DataError) as bomb:
        preds.read_mask(ids[1], (64, 64))
    assert bomb.value.code == "hash_mismatch"
    preds.hashes.pop(f"masks/{ids[1]}.png")
    with pytest.raises(DataError) as bomb:
        preds.read_mask(ids[1], (64, 64))
    assert bomb.value.code == "png_too_large" and "refused before decoding" in str(bomb.value)
    preds.check_ids(ids + ["extra"])
    assert "wrong_ids" in {p.code for p in preds.problems}
    error = PredictionsError(pred, preds.problems)
    assert error.code == "bad_score" and error.first.code == "bad_score"  # the specific code speaks first
    again = pickle.loads(pickle.dumps(preds.problems))
    assert again == preds.problems and [p.code for p in again] == [p.code for p in preds.problems]


def test_deeply_nested_json_and_bad_csv_give_lines(data, tmp_path):
    root, gts = data
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items())
    (pred / "manifest.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataError, match="not valid JSON"):
        Predictions(pred)
    for name, text, message in (("long", "image_id,score\n00000000," + "9" * 200000 + "\n", "not a readable CSV"),
                                ("header", "image_id,score\n", "holds its header only"),
                                ("nul", "image_id,score\n0000\x000000,0.5\n", "breaks the id grammar")):
        sub = write_predictions(tmp_path / name, "binary", "diffseg", "train", GENS, "m", gts.items(),
                                scores=text.encode())
        problems = Predictions(sub).problems
        assert any(message in p for p in problems), problems
    cr = write_predictions(tmp_path / "cr", "binary", "diffseg", "train", GENS, "m", gts.items(),
                           scores=b"image_id,score\r00000000,0.25\r00000001,0.75\r")
    assert Predictions(cr).scores == {"00000000": 0.25, "00000001": 0.75}  # CR-only line ends are CSV too
    rle0 = write_submission(tmp_path / "zero.zip", rle=[{"image_id": i, "segmentation": {"size": [0, 0], "counts": ""}}
                                                        for i in gts])
    with pytest.raises(PredictionsError, match="map size 0x0 is empty"):
        score_predictions(rle0, "diffseg", root, workers=1, progress=False)


@pytest.mark.parametrize("argv,message", [
    (["--batch-size", "0"], "data.batch_size must be a positive whole number"),
    (["--size", "0"], "data.size must be a positive whole number"),
    (["--max-iters", "0"], "train_cfg.max_iters must be a positive whole number"),
    (["--cfg-options", "model.colour=red"], "deeplabv3plus takes no 'colour'"),
    (["--cfg-options", "data.batchsize=2"], "no 'batchsize' in data"),
    (["--cfg-options", "data.batch_size=two"], "data.batch_size must be a positive whole number"),
    (["--cfg-options", "model.encoder=resnet18", "model.output_stride=7"], "cannot build model deeplabv3plus"),
    (["--cfg-options", "optim_wrapper.optimizer.lr=-1"], "(after --cfg-options): Invalid learning rate: -1"),
])
def test_bad_training_arguments_give_one_line(data, tmp_path, capsys, argv, message):
    root, _ = data
    err = one_line_error(capsys, "train", "--baseline", "deeplabv3plus", "--dataset", "diffseg", "--root", str(root),
                         "--work-dir", str(tmp_path / "w"), "--no-progress", *argv)
    assert message in err


def test_config_with_a_syntax_error_gives_one_line(data, tmp_path, capsys):
    root, _ = data
    bad = tmp_path / "bad.py"
    bad.write_text("model = dict(type='deeplabv3plus'\n")
    err = one_line_error(capsys, "train", "--config", str(bad), "--dataset", "diffseg", "--root", str(root))
    assert "bad.py: cannot read the config (SyntaxError" in err


# -- no silent acceptance ----------------------------------------------------------------------
def test_transposed_maps_are_refused(tmp_path):
    root = tmp_path / "d"
    folder = root / "train_copy"
    folder.mkdir(parents=True)
    mask = np.zeros((40, 64), np.uint8)
    mask[5:20, 10:30] = 1
    Image.fromarray(np.zeros((40, 64, 3), np.uint8)).save(folder / "00000000.image.png")
    Image.fromarray(mask).save(folder / "00000000.mask.png")
    for shape, ok in (((64, 40), False), ((80, 128), True), ((32, 32), True), ((20, 32), True)):
        pred = write_predictions(tmp_path / f"p{shape}", "binary", "diffseg", "train", GENS, "m",
                                 [("00000000", np.zeros(shape, np.float32))])
        if ok:
            score_predictions(pred, "diffseg", root, workers=1, progress=False)
        else:
            with pytest.raises(PredictionsError, match="another aspect ratio .height and width swapped"):
                score_predictions(pred, "diffseg", root, workers=1, progress=False)


def test_jpeg_named_png_is_not_packed(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    buf = io.BytesIO()
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(buf, "JPEG")
    (masks / "00000000.png").write_bytes(buf.getvalue())
    with pytest.raises(PredictionsError, match="not a PNG file .jpeg q75 data named .png"):
        from benchmark.predictions import pack_predictions

        pack_predictions(masks, tmp_path / "out.zip", task="binary", dataset="diffseg", split="train",
                         generators=GENS)
    assert not (tmp_path / "out.zip").exists()


def test_manifest_keys_named_like_policy_fields_never_reach_the_result(data, tmp_path):
    root, gts = data
    pred = write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items(),
                             extra_manifest={"train_generators": ["SD2"]})
    _manifest_with(pred, threshold=0.99, reduction="per_image", preset="davis", huge="x" * 100000)
    result = score_predictions(pred, "diffseg", root, workers=1, progress=False)
    assert result["policy"]["pixel_threshold"] == 0.5 and result["policy"]["preset"] == "diffseg"
    assert set(result["submission"]) == {"manifest_sha256", "train_generators"}
    assert "threshold" not in result and "huge" not in json.dumps(result)
    with pytest.raises(BenchError, match="not part of the predictions format"):
        write_predictions(tmp_path / "q", "binary", "diffseg", "train", GENS, "m", gts.items(),
                          extra_manifest={"threshold": 0.3})


def test_semitruths_table_missing_a_required_column_is_an_error(demo_roots, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "st"
    shutil.copytree(demo_roots["semitruths"], root)
    table = next(root.glob("metadata/**/inpainting*.csv"))
    rows = list(csv.DictReader(table.open()))
    with table.open("w", newline="") as f:
        w = csv.DictWriter(f, [c for c in rows[0] if c != "dataset"])
        w.writeheader()
        w.writerows({k: v for k, v in r.items() if k != "dataset"} for r in rows)
    with pytest.raises(DataError, match="lacks required column.s. dataset"):
        SemiTruths(root, "train")


def test_a_link_planted_inside_an_output_folder_is_not_followed(tmp_path):
    from benchmark.datasets.ids import id_path

    out = tmp_path / "out"
    out.mkdir()
    (out / "celebahq").symlink_to(tmp_path)
    with pytest.raises(BenchError, match="resolves outside"):
        id_path(out, "celebahq/ldm/00012", ".png")
    assert id_path(out, "ffhq/ldm/00012", ".png") == out / "ffhq" / "ldm" / "00012.png"


# -- tables, plots, packing and datasets name the file ---------------------------------------
@pytest.fixture
def result_file(data, tmp_path):
    """A result scored from predictions whose manifest carried a key named like a policy field."""
    from benchmark.results import write_result

    root, gts = data
    pred = _manifest_with(write_predictions(tmp_path / "p", "binary", "diffseg", "train", GENS, "m", gts.items()),
                          threshold=0.3)
    return write_result(score_predictions(pred, "diffseg", root, workers=1, progress=False), tmp_path / "r.json")


def test_table_digits_and_unknown_keys_give_one_line(result_file, capsys):
    err = one_line_error(capsys, "table", str(result_file), "--rows", "method", "--cols", "metric", "--digits", "-1")
    assert "--digits -1: give a number of decimals from 0 to 17" in err
    err = one_line_error(capsys, "table", str(result_file), "--rows", "threshold", "--cols", "metric")
    assert f"'threshold' is not a key of {result_file} (did you mean pixel_threshold, image_threshold" in err
    assert "a predictions manifest's own keys never reach a result" in err


def test_per_image_csv_lacking_columns_is_named(tmp_path, capsys):
    csv_path = tmp_path / "per_image.csv"
    csv_path.write_text("image_id,iou\na,0.5\n")
    err = one_line_error(capsys, "plot", "area", str(csv_path), "--out", str(tmp_path / "a.png"))
    assert f"{csv_path}: lacks column(s) edited_area, label" in err and not (tmp_path / "a.png").exists()


def test_pack_names_a_mask_in_a_subfolder(data, tmp_path, capsys):
    root, gts = data
    masks = tmp_path / "masks"
    (masks / "deep").mkdir(parents=True)
    first, *rest = sorted(gts)
    Image.fromarray(np.zeros(gts[first].shape, np.uint8)).save(masks / "deep" / f"{first}.png")
    for image_id in rest:
        Image.fromarray(np.zeros(gts[image_id].shape, np.uint8)).save(masks / f"{image_id}.png")
    err = one_line_error(capsys, "pack", "--masks", str(masks), "--task", "binary", "--dataset", "diffseg",
                         "--split", "train", "--root", str(root), "--out", str(tmp_path / "s.zip"))
    assert f"{masks / 'deep' / first}.png: id 'deep/{first}' is not in diffseg train" in err
    assert f"a mask for '{first}' belongs at {masks / first}.png" in err and not (tmp_path / "s.zip").exists()


@pytest.mark.parametrize("column,message", [
    ([None, "fine"], "id column 'image_id' is empty in row 0"),
    ([3.5, 7.0], "id column 'image_id' holds double values; ids must be text or whole numbers"),
    (["same", "same"], "id column 'image_id' repeats the id 'same'"),
])
def test_parquet_id_column_problems_name_the_shard_and_column(tmp_path, column, message):
    import pyarrow as pa
    import pyarrow.parquet as pq

    shard = write_parquet(tmp_path / "d" / "train-00000-of-00001.parquet", random_pairs(2))
    pq.write_table(pq.read_table(shard).append_column("image_id", pa.array(column)), shard)
    with pytest.raises(DataError, match=f"{shard}: {message}".replace("(", r"\(").replace(")", r"\)")):
        DiffSeg30k(tmp_path / "d")


def test_corrupt_png_gives_our_line_only(tmp_path, capfd):
    """libpng prints its own line to the process's stderr when cv2 decodes a corrupt PNG: the
    chunk CRCs are checked first, so only the error naming the file is said."""
    from benchmark.datasets.imageio import decode_image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[data.index(b"IDAT") + 20] ^= 0xFF
    capfd.readouterr()
    with pytest.raises(DataError, match="x.png: unreadable PNG: its 'IDAT' chunk fails its CRC check"):
        decode_image(bytes(data), "x.png")
    captured = capfd.readouterr()
    assert "libpng" not in captured.err + captured.out
