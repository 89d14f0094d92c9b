"""Baseline detectors, registered in `benchmark.registry.BASELINES`; all follow `contract.Detector`."""
from .cnnspot import CNNSpot
from .contract import Detector, SegmentationModel, image_score
from .deeplabv3plus import DeepLabV3Plus
from .fcn8s import FCN8s
from .univfd import UnivFDProbe

__all__ = ["CNNSpot", "DeepLabV3Plus", "Detector", "FCN8s", "SegmentationModel", "UnivFDProbe", "image_score"]
