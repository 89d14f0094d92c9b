"""Dataset adapters, registered in `benchmark.registry.DATASETS`, and the unified sample."""
from benchmark.tasks import IGNORE

from .base import SPLITS, BaseAdapter, canonical_split
from .cocoglide import CocoGlide
from .diffseg import DiffSeg30k
from .dolos import Dolos
from .sample import Sample, Target
from .semitruths import SemiTruths
from .spec import DatasetSpec

__all__ = ["BaseAdapter", "CocoGlide", "DatasetSpec", "DiffSeg30k", "Dolos", "IGNORE", "SPLITS", "SemiTruths",
           "Sample", "Target", "canonical_split"]
