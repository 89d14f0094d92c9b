"""Baseline detectors, registered in `benchmark.registry.BASELINES`; all follow `contract.Detector`."""
from .attention import FFDAttention
from .cnnspot import CNNSpot
from .contract import Detector, SegmentationModel, image_score
from .deeplabv3plus import DeepLabV3Plus
from .dolos_gradcam import DolosGradCAM
from .fcn8s import FCN8s
from .patches import PatchForensics
from .univfd import UnivFDProbe

__all__ = ["CNNSpot", "DeepLabV3Plus", "Detector", "DolosGradCAM", "FCN8s", "FFDAttention", "PatchForensics",
           "SegmentationModel", "UnivFDProbe", "image_score"]
