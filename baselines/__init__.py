"""Baseline detectors, registered in `benchmark.registry.BASELINES`; all follow `contract.Detector`.
Packages add their own through the `bench.baselines` entry-point group (see docs/training.md)."""
from .attention import FFDAttention
from .cnnspot import CNNSpot
from .contract import ContractCase, Detector, SegmentationModel
from .deeplabv3plus import DeepLabV3Plus
from .dolos_gradcam import DolosGradCAM
from .fcn8s import FCN8s
from .patches import PatchForensics
from .smp_segmenter import SMPSegmenter
from .univfd import UnivFDProbe

__all__ = ["CNNSpot", "ContractCase", "DeepLabV3Plus", "Detector", "DolosGradCAM", "FCN8s", "FFDAttention",
           "PatchForensics", "SMPSegmenter", "SegmentationModel", "UnivFDProbe"]
