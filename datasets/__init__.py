"""Dataset adapters; importing this package registers them in `benchmark.registry.DATASETS`."""
from .base import BaseAdapter
from .diffseg import DiffSeg30k
from .sample import IGNORE_INDEX, Sample

__all__ = ["BaseAdapter", "DiffSeg30k", "IGNORE_INDEX", "Sample"]
