import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from benchmark.datasets import DiffSeg30k
from benchmark.datasets.torch_dataset import SegmentationDataset

from diffseg_fixtures import random_pairs, write_folder, write_labels


@pytest.fixture
def adapter(tmp_path):
    write_folder(tmp_path, random_pairs())
    write_labels(tmp_path)
    return DiffSeg30k(tmp_path)


def test_semantic_items_resize_masks_with_nearest(adapter):
    ds = SegmentationDataset(adapter, size=(20, 40), task="semantic")
    assert ds.num_classes == 4
    for i in range(len(ds)):
        item = ds[i]
        assert item["inputs"].dtype == torch.uint8 and item["inputs"].shape == (3, 20, 40)
        sample = adapter[i]
        want = cv2.resize(sample.mask, (40, 20), interpolation=cv2.INTER_NEAREST)
        np.testing.assert_array_equal(item["mask"].numpy(), want)
        assert set(np.unique(item["mask"])) <= set(np.unique(sample.mask))
        assert item["label"] == sample.label


def test_training_crops_keep_image_and_mask_aligned(adapter):
    full = SegmentationDataset(adapter, size=32, task="semantic")
    crops = SegmentationDataset(adapter, size=32, task="semantic", train=True, seed=0, crop=12)
    assert SegmentationDataset(adapter, size=32, task="semantic", crop=12)[0]["mask"].shape == (32, 32)
    for i in range(len(adapter)):
        whole, item = full[i], crops[i]
        assert item["inputs"].shape == (3, 12, 12) and item["mask"].shape == (12, 12)
        image, mask = whole["inputs"].numpy(), whole["mask"].numpy()
        # the crop (possibly flipped) is a window of the resized item, the same for image and mask
        found = [(y, x, flip) for flip in (False, True) for y in range(21) for x in range(21)
                 if np.array_equal((image[:, :, ::-1] if flip else image)[:, y:y + 12, x:x + 12], item["inputs"].numpy())
                 and np.array_equal((mask[:, ::-1] if flip else mask)[y:y + 12, x:x + 12], item["mask"].numpy())]
        assert found, i


def test_binary_items_keep_ignore(adapter):
    sample = adapter[3]
    sample.mask[0, :] = 255
    adapter.load = lambda record: sample  # every item is this sample
    item = SegmentationDataset(adapter, size=sample.mask.shape, task="binary")[0]
    mask = item["mask"].numpy()
    np.testing.assert_array_equal(mask[0], 255)
    np.testing.assert_array_equal(mask[1:], (sample.mask[1:] > 0).astype(int))


def test_distortion_runs_on_native_image_before_resize(adapter):
    from benchmark.distortions import apply_distortion, image_seed

    ds = SegmentationDataset(adapter, size=16, distortion="noise20", seed=4)
    sample = adapter[1]
    distorted = apply_distortion("noise20", sample.image, image_seed(sample.image_id, 4))
    want = cv2.resize(distorted, (16, 16), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(ds[1]["inputs"].numpy().transpose(1, 2, 0), want)
    clean = SegmentationDataset(adapter, size=16)[1]
    assert not np.array_equal(clean["inputs"].numpy(), ds[1]["inputs"].numpy())
    np.testing.assert_array_equal(clean["mask"].numpy(), ds[1]["mask"].numpy())  # the mask is never distorted


def test_seeded_training_flips_are_reproducible_and_batch(adapter):
    def run():
        ds = SegmentationDataset(adapter, size=16, train=True, seed=3)
        return torch.stack([ds[i]["inputs"] for i in range(len(ds))])
    assert torch.equal(run(), run())
    batch = next(iter(DataLoader(SegmentationDataset(adapter, size=16), batch_size=4)))
    assert batch["inputs"].shape == (4, 3, 16, 16) and len(batch["image_id"]) == 4


def test_unknown_task_rejected(adapter):
    with pytest.raises(ValueError, match="task must be one of"):
        SegmentationDataset(adapter, task="panoptic")


def test_pipeline_declared_in_a_config(adapter):
    from benchmark.datasets.torch_dataset import build_pipeline
    from benchmark.errors import BenchError

    steps = [dict(type="PadIfNeeded", min_height=40, min_width=40), dict(type="CenterCrop", height=30, width=36)]
    ds = SegmentationDataset(adapter, task="semantic", transforms=build_pipeline(steps))
    item, sample = ds[0], adapter[0]
    assert item["inputs"].shape == (3, 30, 36) and item["mask"].shape == (30, 36)
    # image and mask cropped alike: the mask is the padded-then-cropped GT, by nearest (no new values)
    assert set(np.unique(item["mask"].numpy())) <= set(np.unique(sample.mask)) | {0}
    for bad in ([dict(type="Explode")], [dict(type="CenterCrop", hieght=3, width=3)], [dict(type="Compose")]):
        with pytest.raises(BenchError, match="pipeline step"):
            build_pipeline(bad)
