"""Cross-generator selection: resolving names and dropping images with held-out editors."""
import numpy as np
import pytest
from PIL import Image

from benchmark.datasets import DiffSeg30k
from benchmark.errors import BenchError
from benchmark.training.generator_split import kept_indices, resolve_generators

from diffseg_fixtures import GENERATORS, write_diffseg

KNOWN = ["SD2", "SD3.5", "SDXL", "Flux.1"]


def test_resolve():
    assert resolve_generators(KNOWN) == (KNOWN, [])
    assert resolve_generators(KNOWN, holdout=["sdxl", "FLUX.1"]) == (["SD2", "SD3.5"], ["SDXL", "Flux.1"])
    assert resolve_generators(KNOWN, train=["SD2"]) == (["SD2"], ["SD3.5", "SDXL", "Flux.1"])
    with pytest.raises(BenchError, match="unknown generator 'Glide'"):
        resolve_generators(KNOWN, holdout=["Glide"])
    with pytest.raises(BenchError, match="exactly once"):
        resolve_generators(KNOWN, train=["SD2"], holdout=["SDXL"])
    with pytest.raises(BenchError, match="no generator left"):
        resolve_generators(KNOWN, holdout=KNOWN)


def test_kept_indices_match_the_masks(tmp_path):
    root = write_diffseg(tmp_path / "d", train=15, validation=2)
    adapter = DiffSeg30k(root, "train")
    cache = tmp_path / "cache.json"
    keep = kept_indices(adapter, ["SDXL"], cache, progress=False)
    sdxl = GENERATORS.index("SDXL") + 1
    brute = [i for i, r in enumerate(adapter.records)
             if sdxl not in np.unique(np.array(Image.open(r.store.where(r.mask))))]
    assert keep == brute and 0 < len(keep) < len(adapter)
    assert kept_indices(adapter, ["SDXL"], cache, progress=False) == keep  # served from the cache
    assert kept_indices(adapter, [], None) == list(range(len(adapter)))
