"""Dataset adapters; importing this package registers them in `benchmark.registry.DATASETS`."""
from .base import BaseAdapter
from .cocoglide import CocoGlide
from .diffseg import DiffSeg30k
from .dolos import Dolos
from .sample import IGNORE_INDEX, Sample
from .semitruths import SemiTruths

__all__ = ["BaseAdapter", "CocoGlide", "DiffSeg30k", "Dolos", "IGNORE_INDEX", "SemiTruths", "Sample"]
