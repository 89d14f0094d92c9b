"""Baseline detectors; importing this package registers them in `benchmark.registry.BASELINES`."""
from .contract import SegmentationModel, image_score
from .deeplabv3plus import DeepLabV3Plus
from .fcn8s import FCN8s

__all__ = ["DeepLabV3Plus", "FCN8s", "SegmentationModel", "image_score"]
