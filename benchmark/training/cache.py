"""A prepared training cache (`bench data prepare`): a dataset's splits decoded and resized once to
the network size, for training runs that would otherwise decode a full-size PNG per item and epoch.

Layout of the folder:

    cache.json            dataset spec, size, resize rule, toolkit version, and per split its image
                          ids, labels, generators, count and split hash (`scoring.split_hash`)
    {split}.images.npy    uint8 N×S×S×3, row i = image i of the split in the adapter's order
    {split}.masks.npy     uint8 N×S×S label maps (generator ids, 255 ignore)

Why numpy arrays read through memory maps: a random read is one page-cache copy of S×S×4 bytes,
with no decoding, no per-file open and no library beyond numpy; every loader worker maps the same
files, so the cache costs no memory per worker. Streaming formats (webdataset's tar shards,
litdata, mosaicml-streaming) serve sequential reads from object stores and shuffle within a
buffer; training here samples uniformly from a local split, which a memory map does exactly.
The images are resized as the training pipeline's first step would (`resize_step`: bilinear
image, nearest mask), so a cached run's items equal an uncached run's byte for byte; flips and
crops still run per item.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchmark import __version__
from benchmark.errors import BenchError, DataError
from benchmark.jsonfiles import read_schema_json

SCHEMA = "bench.cache/1"
MANIFEST = "cache.json"
RESIZE = "bilinear image, nearest mask (albumentations Resize)"
_WORKER: dict[str, Any] = {}


def _paths(folder: Path, split: str) -> tuple[Path, Path]:
    return folder / f"{split}.images.npy", folder / f"{split}.masks.npy"


def prepare_cache(dataset, root: str | os.PathLike, size: int, out: str | os.PathLike,
                  splits: Sequence[str] | None = None, workers: int | None = None, progress: bool = True) -> dict:
    """Write the cache of `splits` (default: every split found) of the dataset spec `dataset` at
    `root`, resized to `size`×`size`, into the new folder `out`; return its manifest."""
    from numpy.lib.format import open_memmap

    from benchmark.clock import utc_stamp
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.outputs import new_folder
    from benchmark.parallel import run_chunks
    from benchmark.scoring import split_hash

    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise BenchError(f"--size must be a positive whole number of pixels, got {size!r}")
    spec = DatasetSpec.of(dataset)
    adapters = [spec.build(root, s) for s in (splits or spec.splits(root))]  # every split checked before writing
    folder = new_folder(out)
    manifest = {"schema": SCHEMA, "dataset_spec": str(spec), "root": str(root), "size": size, "resize": RESIZE,
                "toolkit_version": __version__, "created": utc_stamp(), "splits": {}}
    for adapter in adapters:
        images, masks = _paths(folder, adapter.split)
        n = len(adapter)
        open_memmap(images, mode="w+", dtype=np.uint8, shape=(n, size, size, 3)).flush()
        open_memmap(masks, mode="w+", dtype=np.uint8, shape=(n, size, size)).flush()
        rows: list[tuple] = []
        problems: list[str] = []
        for chunk_rows, chunk_problems in run_chunks(_prepare_chunk, list(enumerate(adapter.records)), workers, _init,
                                                     (adapter, str(images), str(masks), size),
                                                     f"preparing {n} {adapter.split} images at {size} px", progress):
            rows += chunk_rows
            problems += chunk_problems
        if problems:
            raise BenchError(f"{len(problems)} sample(s) of {adapter.split} could not be read: "
                             + "; ".join(sorted(problems)[:20]))
        rows.sort()
        manifest["splits"][adapter.split] = {
            "n_images": n, "split_hash": split_hash((r[1], r[4]) for r in rows),
            "ids": [r[1] for r in rows], "labels": [r[2] for r in rows], "generators": [list(r[3]) for r in rows]}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _init(adapter, images: str, masks: str, size: int) -> None:
    import cv2

    from benchmark.datasets.torch_dataset import resize_step

    cv2.setNumThreads(1)
    _WORKER.update(adapter=adapter, images=np.load(images, mmap_mode="r+"), masks=np.load(masks, mmap_mode="r+"),
                   resize=resize_step(size))


def _prepare_chunk(items: Sequence[tuple[int, Any]]) -> tuple[list[tuple], list[str]]:
    from benchmark.scoring import target_digest

    w = _WORKER
    rows, problems = [], []
    for index, record in items:
        try:
            sample = w["adapter"].load(record)
        except DataError as exc:
            problems.append(str(exc))
            continue
        out = w["resize"](image=sample.image, mask=sample.mask)
        w["images"][index] = out["image"]
        w["masks"][index] = out["mask"]
        rows.append((index, sample.image_id, sample.label, sample.generators, target_digest(sample.target)))
    w["images"].flush()
    w["masks"].flush()
    return rows, problems


class CachedSplit:
    """One split of a cache, standing in for its adapter in `SegmentationDataset`: item i is the
    sample of image i at the cache's size (no meta). The arrays are mapped on first use in each
    process, so loader workers share the page cache."""

    def __init__(self, folder: str | os.PathLike, split: str, entry: dict, generators: Sequence[str]):
        self.folder, self.split, self.entry = Path(folder), split, entry
        self.generators = list(generators)
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return self.entry["n_images"]

    @property
    def ids(self) -> list[str]:
        return list(self.entry["ids"])

    @property
    def num_classes(self) -> int:
        return len(self.generators) + 1

    def __getitem__(self, i: int):
        from benchmark.datasets.sample import Sample

        if self._arrays is None:
            self._arrays = tuple(np.load(p, mmap_mode="r") for p in _paths(self.folder, self.split))
        images, masks = self._arrays
        # A copy out of the map: albumentations flips and crops in place on some paths.
        return Sample(self.entry["ids"][i], np.array(masks[i]), self.entry["labels"][i],
                      tuple(self.entry["generators"][i]), {}, image=np.array(images[i]))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_arrays": None}


def read_manifest(folder: str | os.PathLike) -> dict:
    return read_schema_json(Path(folder) / MANIFEST, SCHEMA, "a prepared cache",
                            "no prepared cache here; make one with bench data prepare")


def open_split(folder: str | os.PathLike, spec, adapter, size: int, workers: int | None = None,
               progress: bool = True) -> CachedSplit:
    """The cache's copy of `adapter`'s split, refused (one line naming the cache and what differs)
    when it was made for another dataset spec, size, set or order of images, or truth: the split
    hash is recomputed from the dataset's targets (masks only, no image decoded)."""
    from benchmark.parallel import run_chunks
    from benchmark.scoring import split_hash

    folder = Path(folder)
    manifest = read_manifest(folder)
    where = str(folder / MANIFEST)
    if manifest["dataset_spec"] != str(spec):
        raise DataError(where, f"made for dataset spec '{manifest['dataset_spec']}', this run trains on '{spec}'")
    if manifest["size"] != size:
        raise DataError(where, f"made at {manifest['size']} px, this run trains at data.size={size}")
    entry = manifest["splits"].get(adapter.split)
    if entry is None:
        raise DataError(where, f"holds no '{adapter.split}' split (splits: {', '.join(manifest['splits'])})")
    if entry["ids"] != adapter.ids:
        raise DataError(where, f"its '{adapter.split}' images are not the dataset's at {adapter.root} "
                               f"({entry['n_images']} cached, {len(adapter)} in the dataset, or another order)")
    digests: list[tuple[str, str]] = []
    for chunk in run_chunks(_digest_chunk, adapter.records, workers, _init_digests, (adapter,),
                            f"checking the cache of {len(adapter)} {adapter.split} images", progress):
        digests += chunk
    if split_hash(digests) != entry["split_hash"]:
        raise DataError(where, f"split hash {entry['split_hash'][:12]} differs from the dataset's "
                               f"{split_hash(digests)[:12]}: its '{adapter.split}' masks or labels changed since "
                               "it was prepared; prepare it again")
    for name in _paths(folder, adapter.split):
        if not name.is_file():
            raise DataError(str(name), "missing from the prepared cache")
    return CachedSplit(folder, adapter.split, entry, adapter.generators)


def _init_digests(adapter) -> None:
    _WORKER.update(adapter=adapter)


def _digest_chunk(records: Sequence) -> list[tuple[str, str]]:
    from benchmark.scoring import target_digest

    adapter = _WORKER["adapter"]
    return [(r.image_id, target_digest(adapter.load_target(r))) for r in records]
