import csv
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.datasets import SemiTruths
from benchmark.datasets.semitruths import MODELS, normalise_id, split_of
from benchmark.datasets.tarshards import TarShardStore, write_shard
from maskfiles import MASK_KINDS, encode_image, rect_mask, encode_mask

ROOT = Path(__file__).resolve().parents[1]
MODELS_USED = ["StableDiffusion_v4", "Kandinsky_2_2"]


def load_tool():
    spec = importlib.util.spec_from_file_location("semitruths_from_inputs", ROOT / "tools" / "semitruths_from_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_inputs(folder: Path) -> list[dict]:
    """Pipeline input rows imitating the real sample: CelebAHQ ids `CelebA_N` with files `N.jpg`
    and masks named by part while `mask_id` is `N_00k`; every mask kind; sizes vary."""
    rng = np.random.default_rng(0)
    rows = []
    specs = [  # dataset, image id, image file, mask id, mask file, mask name, kind
        ("CelebAHQ", "CelebA_1001", "1001.jpg", "1001_004", "1001_mouth.jpg", "mouth", "RGBjpg"),
        ("CelebAHQ", "CelebA_1002", "1002.jpg", "1002_001", "1002_hair.jpg", "hair", "Ljpg"),
        ("CelebAHQ", "CelebA_1003", "1003.jpg", "1003_009", "1003_left_ear.jpg", "left ear", "Ljpg"),
        ("ADE20K", "ADE_train_1", "ADE_train_1.jpg", "instance_004_ADE_train_1", "instance_004_ADE_train_1.png", "trees", "L8"),
        ("CityScapes", "ulm_000001", "ulm_000001.png", "ulm_000001_instance043", "ulm_000001_instance043.png", "rider", "Laa"),
        ("HumanParsing", "img_00001", "img_00001.png", "img_00001_Upperclothes", "img_00001_Upperclothes.png", "Upper-clothes", "RGB"),
        ("OpenImages", "e16d", "e16d.jpg", "e16d_m01fb_0_baa7", "e16d_m01fb_0_baa7.png", "bagel", "1bit"),
    ]
    for i, (ds, img_id, img_file, mask_id, mask_file, mask_name, kind) in enumerate(specs):
        h, w = 48 + 8 * i, 64
        image = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        mask = rect_mask(h, w, 8, 8 * (i % 3), 8 + 8 * (1 + i % 4), 8 * (i % 3) + 24)
        (folder / "images" / ds).mkdir(parents=True, exist_ok=True)
        (folder / "masks" / ds).mkdir(parents=True, exist_ok=True)
        (folder / "images" / ds / img_file).write_bytes(encode_image(image, "JPEG" if img_file.endswith("jpg") else "PNG"))
        (folder / "masks" / ds / mask_file).write_bytes(encode_mask(mask, kind))
        rows.append({"image_id": img_id, "image_path": f"images/{ds}/{img_file}", "dataset": ds, "entities": "[]",
                     "class": "x", "mask_id": mask_id, "mask_path": f"masks/{ds}/{mask_file}",
                     "mask_name": mask_name, "ratio": repr(float(mask.mean()))})
    with open(folder / "metadata.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert {s[-1] for s in specs} == set(MASK_KINDS)
    return rows


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    base = tmp_path_factory.mktemp("semitruths")
    rows = make_inputs(base / "inputs")
    load_tool().build(base / "inputs", base / "root", MODELS_USED)
    return base / "root", rows


def all_splits(root, **kw):
    return [SemiTruths(root, s, **kw) for s in ("train", "val", "test")]


def test_pairs_every_edit_with_its_original_and_mask(layout):
    root, rows = layout
    ratio = {(r["image_id"], r["mask_id"]): float(r["ratio"]) for r in rows}
    edited, reals = {}, set()
    for adapter in all_splits(root):
        assert adapter.problems == [] and adapter.warnings == []
        for sample in adapter:
            if sample.label:
                key = (sample.meta["img_id"], sample.meta["mask_id"])
                assert round(sample.edited_fraction, 3) == round(ratio[key], 3)
                assert sample.edited_fraction == pytest.approx(ratio[key], abs=1e-12)
                model = sample.meta["diffusion_model"]
                assert sample.generators == (MODELS.index(model) + 1,)
                assert set(np.unique(sample.mask)) == {0, MODELS.index(model) + 1}
                ds = sample.meta["dataset"]
                assert sample.meta["original"].endswith(f"{normalise_id(ds, sample.meta['img_id'])}"
                                                        f"{'.png' if ds in ('CityScapes', 'HumanParsing') else '.jpg'}")
                edited[(key, model)] = adapter.split
            else:
                assert not sample.mask.any()
                reals.add(sample.meta["img_id"])
    assert set(edited) == {(k, m) for k in ratio for m in MODELS_USED}
    assert reals == {normalise_id(r["dataset"], r["image_id"]) for r in rows}


def test_split_keeps_all_edits_of_one_original_together(layout):
    root, rows = layout
    where = {}
    for adapter in all_splits(root, split_fractions=(0.4, 0.3, 0.3)):
        for r in adapter.records:
            key = normalise_id(r.meta["dataset"], r.meta["img_id"])
            assert where.setdefault(key, adapter.split) == adapter.split
            assert split_of(r.meta["dataset"], r.meta["img_id"], (0.4, 0.3, 0.3)) == adapter.split
    assert len(set(where.values())) > 1
    assert split_of("CelebAHQ", "CelebA_1001", (1, 1, 1)) == split_of("CelebAHQ", "1001.jpg", (1, 1, 1))


def test_metadata_fields_and_na(layout):
    root, _ = layout
    metas = [r.meta for a in all_splits(root) for r in a.records if r.meta["method"] == "inpainting"]
    assert {m["sem_magnitude"] for m in metas} == {"small", "medium", "large"}
    assert any(m["lpips_score"] is None for m in metas) and any(isinstance(m["lpips_score"], float) for m in metas)
    assert any(m["post_edit_ratio"] is None for m in metas)
    assert {m["pass_qc"] for m in metas} == {True, False}
    assert all(isinstance(m["area_ratio"], float) for m in metas)


def test_filters_and_preset(layout):
    root, _ = layout
    celeb = [r for a in all_splits(root, preset="thesis-celebahq", reals=False) for r in a.records]
    assert {r.meta["mask_name"] for r in celeb} == {"mouth", "hair", "left ear"}
    assert {r.meta["dataset"] for r in celeb} == {"CelebAHQ"}
    picked = [r for a in all_splits(root, models=["Kandinsky_2_2"], regions=["Upper-clothes"], reals=False)
              for r in a.records]
    assert [(r.meta["diffusion_model"], r.meta["mask_name"]) for r in picked] == [("Kandinsky_2_2", "Upper-clothes")]
    qc = [r for a in all_splits(root, pass_qc=True, reals=False) for r in a.records]
    assert qc and all(r.meta["pass_qc"] is True for r in qc)
    assert len(qc) < 2 * 7


def test_second_open_reuses_the_index(layout, monkeypatch):
    root, _ = layout
    first = all_splits(root)
    monkeypatch.setattr(TarShardStore, "_build_index", lambda self: pytest.fail(f"rebuilt index of {self.path}"))
    second = all_splits(root)
    assert [a.ids for a in first] == [a.ids for a in second]
    assert (second[0][0].image == first[0][0].image).all()


def check(root, capsys) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["data", "check", "--dataset", "semitruths", "--root", str(root), "--json"])
    out = capsys.readouterr()
    return rc, out.err


@pytest.fixture
def copy(layout, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(layout[0], root)
    return root


def test_check_passes_and_flags_the_format_shortcut(layout, capsys):
    import json

    capsys.readouterr()
    assert main(["data", "check", "--dataset", "semitruths", "--root", str(layout[0]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert sum(s["edited"] for s in result["splits"].values()) == 14
    assert any("file format shortcut" in w for w in result["warnings"])


def rewrite_shard(path: Path, change) -> None:
    store = TarShardStore(path)
    members = {n: store.read(n) for n in store.names()}
    path.unlink()
    write_shard(path, change(members))


def test_missing_mask_is_an_error_naming_it(copy, capsys):
    shard = copy / "original" / "masks" / "ADE20K_masks_0.tar.bz2"
    rewrite_shard(shard, lambda m: {k: v for k, v in m.items() if "instance_004" not in k})
    rc, err = check(copy, capsys)
    assert rc != 0 and "instance_004_ADE_train_1" in err and "Traceback" not in err


def test_truncated_shard_is_an_error_naming_it(copy, capsys):
    shard = copy / "inpainting" / "CityScapes" / "Kandinsky_2_2" / "CityScapes_Kandinsky_2_2_0.tar.bz2"
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    rc, err = check(copy, capsys)
    assert rc != 0 and "CityScapes_Kandinsky_2_2_0.tar.bz2" in err and "Traceback" not in err
    # one error for the shard, not one more per metadata row whose image it held
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, err


def test_truncated_originals_shard_is_reported_once(copy, capsys):
    shard = copy / "original" / "images" / "CityScapes_images_0.tar.bz2"
    shard.write_bytes(shard.read_bytes()[:200])
    rc, err = check(copy, capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert rc != 0 and len(errors) == 1 and "CityScapes_images_0.tar.bz2" in errors[0], err


def test_row_pointing_at_a_missing_member_is_an_error(copy, capsys):
    csv_path = copy / "metadata" / "edited" / "inpainting.csv"
    text = csv_path.read_text().replace("img_00001_Upperclothes,img_00001_Upperclothes",
                                        "img_00001_Upperclothes,img_00001_Nothing", 1)
    csv_path.write_text(text.replace("img_00001,img_00001_Upperclothes", "img_00001,img_00001_Nothing", 1))
    rc, err = check(copy, capsys)
    assert rc != 0 and "inpainting.csv" in err and "img_00001_Nothing" in err


def test_mask_of_the_wrong_size_is_an_error_naming_it(copy, capsys):
    shard = copy / "original" / "masks" / "OpenImages_masks_0.tar.bz2"
    wrong = encode_mask(rect_mask(10, 10, 0, 0, 5, 5), "1bit")
    rewrite_shard(shard, lambda m: {k: wrong for k in m})
    rc, err = check(copy, capsys)
    assert rc != 0 and "e16d_m01fb_0_baa7.png" in err and "10x10" in err
