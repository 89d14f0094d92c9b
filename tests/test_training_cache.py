"""The prepared training cache (`bench data prepare`, `bench train --cache`): items equal to the
uncached pipeline's on every demo format, the same training run, and every mismatch refused."""
import json

import numpy as np
import pytest
import torch

from benchmark.baselines.build import read_checkpoint
from benchmark.cli.main import main
from benchmark.datasets import DatasetSpec
from benchmark.datasets.torch_dataset import SegmentationDataset, default_transforms
from benchmark.scoring import split_hash, target_digest
from benchmark.training.cache import open_split, prepare_cache
from benchmark.training.config import load_config
from benchmark.training.runner import train

from diffseg_fixtures import write_diffseg

SPECS = ["diffseg", "dolos[setup=C]", "semitruths", "cocoglide"]


@pytest.mark.parametrize("text", SPECS)
def test_cached_items_equal_the_uncached_pipelines(text, demo_roots, tmp_path):
    spec = DatasetSpec.of(text)
    root = demo_roots[spec.name]
    manifest = prepare_cache(spec, root, 48, tmp_path / "cache", workers=1, progress=False)
    assert list(manifest["splits"]) == spec.splits(root) and manifest["size"] == 48
    for split in spec.splits(root):
        adapter = spec.build(root, split)
        entry = manifest["splits"][split]
        assert entry["ids"] == adapter.ids
        # the hash every result of this split carries
        assert entry["split_hash"] == split_hash((t.image_id, target_digest(t)) for t in adapter.targets())
        cached = open_split(tmp_path / "cache", spec, adapter, 48, workers=1, progress=False)
        for task in ("binary", "semantic"):
            for train_mode, crop in ((False, None), (True, None), (True, 24)):
                plain = SegmentationDataset(adapter, 48, task, train=train_mode, seed=5, crop=crop)
                fast = SegmentationDataset(cached, 48, task, train=train_mode, seed=5, crop=crop,
                                           transforms=default_transforms(48, train_mode, 5, crop, resized=True))
                for i in range(len(adapter)):
                    a, b = plain[i], fast[i]
                    assert torch.equal(a["inputs"], b["inputs"]) and torch.equal(a["mask"], b["mask"]), (split, i)
                    assert (a["label"], a["image_id"]) == (b["label"], b["image_id"])


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_diffseg(tmp_path_factory.mktemp("diffseg"), train=10, validation=4, size=40)


def config(**options):
    opts = {"model.encoder": "resnet18", "data.num_workers": 0, "data.val_batch_size": 4, "log_interval": 1,
            "checkpoint.interval": 3, "train_cfg.val_interval": 3, **options}
    return load_config("deeplabv3plus_r50_512", None, opts, max_iters=3, batch_size=2, size=32, seed=3)


def test_a_cached_run_trains_exactly_as_an_uncached_one_and_records_the_cache(root, tmp_path):
    assert main(["data", "prepare", "--dataset", "diffseg", "--root", str(root), "--size", "32",
                 "--out", str(tmp_path / "cache"), "--workers", "1"]) == 0
    a = train(config(), "diffseg", str(root), work_dir=str(tmp_path / "a"), progress=False)
    b = train(config(**{"data.cache": str(tmp_path / "cache")}), "diffseg", str(root), work_dir=str(tmp_path / "b"),
              progress=False)
    wa, wb = (read_checkpoint(x["last_checkpoint"]) for x in (a, b))
    assert all(torch.equal(wa["state_dict"][k], wb["state_dict"][k]) for k in wa["state_dict"])
    assert a["best_score"] == b["best_score"]
    record = json.loads((tmp_path / "b" / "run.json").read_text())["data_cache"]
    assert record["path"] == str((tmp_path / "cache").resolve()) and record["splits"] == ["train", "val"]
    assert len(record["manifest_sha256"]) == 64


def test_a_cache_for_other_data_is_refused_in_one_line(root, tmp_path, capsys):
    prepare_cache("diffseg", root, 32, tmp_path / "cache", workers=1, progress=False)
    work = iter(range(100))

    def run(*extra, cache=tmp_path / "cache", data=root):
        return main(["train", "--baseline", "deeplabv3plus", "--dataset", "diffseg", "--root", str(data), "--size", "32",
                     "--max-iters", "1", "--batch-size", "2", "--cache", str(cache), "--no-progress",
                     "--work-dir", str(tmp_path / f"w{next(work)}"),
                     "--cfg-options", "model.encoder=resnet18", "data.num_workers=0", *extra])

    cases = [((), "--size", "made at 32 px, this run trains at data.size=48"),
             (("--set", "generators=A,B,C"), None, "made for dataset spec 'diffseg', this run trains on 'diffseg[generators=A,B,C]'"),
             ((), "cache", "no prepared cache here")]
    for extra, change, message in cases:
        argv = list(extra)
        if change == "--size":
            argv = ["--size", "48"]
        code = run(*argv) if change != "cache" else run(cache=tmp_path / "nothing")
        err = " ".join(capsys.readouterr().err.split())
        assert code == 2 and message in err, err
    # a mask changed after preparing: the split hash no longer matches
    from PIL import Image

    mask_file = next((root / "validation_copy").glob("*.mask.png"))
    changed = tmp_path / "changed"
    import shutil

    shutil.copytree(root, changed)
    mask = np.array(Image.open(changed / "validation_copy" / mask_file.name))
    mask[:4, :4] = 1 if mask[0, 0] == 0 else 0
    Image.fromarray(mask, mode="L").save(changed / "validation_copy" / mask_file.name)
    assert run(data=changed) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cache.json" in err and "masks or labels changed since it was prepared" in err
    # a config with its own pipeline cannot read images the cache resized for the default one
    assert main(["train", "--config", "cnnspot_r50", "--dataset", "diffseg", "--root", str(root), "--cache",
                 str(tmp_path / "cache"), "--max-iters", "1", "--work-dir", str(tmp_path / "cnn")]) == 2
    assert "declares its own data.pipeline" in capsys.readouterr().err
