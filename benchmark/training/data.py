"""Training and validation sets for the runner: adapter -> SegmentationDataset -> kept subset."""
from __future__ import annotations

from typing import Sequence

from torch.utils.data import Dataset, get_worker_info

from benchmark.datasets.torch_dataset import SegmentationDataset


class SubsetWithMeta(Dataset):
    """The samples of `dataset` at `indices`, with a `metainfo` that mmengine writes into every
    checkpoint. Reseeds the augmentations once per loader worker: forked workers would otherwise
    share one random state and draw the same flips."""

    def __init__(self, dataset: SegmentationDataset, indices: Sequence[int], metainfo: dict, seed: int = 0):
        self.dataset = dataset
        self.indices = list(indices)
        self.metainfo = metainfo
        self._seeded_with: int | None = None
        self._reseed(seed)

    def _reseed(self, seed: int) -> None:
        if seed != self._seeded_with:
            self.dataset.transforms.set_random_seed(seed % 2 ** 32)
            self._seeded_with = seed

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        worker = get_worker_info()
        if worker is not None:
            self._reseed(worker.seed)  # distinct per worker, derived from the seeded torch RNG
        return self.dataset[self.indices[i]]
