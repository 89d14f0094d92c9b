"""DiffSeg30k attribution: which editor made each pixel (semantic task), with the per-editor IoU,
the generator confusion on each entry's page and the mIoU by visible edit turns."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

PAPER = "DiffSeg30k paper (arXiv 2511.19111), Table 2"


@TRACKS.register_module(name="diffseg-attribution")
def track() -> Track:
    return Track(
        name="diffseg-attribution", title="DiffSeg30k attribution", dataset="diffseg", split="val",
        task="semantic", rank_by="miou", tie_break=("bf1", "pixel_acc"), columns=("pixel_acc", "miou", "bf1"),
        policy="diffseg", per_generator="iou_per_class", per_group=("turns", "miou"),
        description="One class per editor; mIoU over the editors (background excluded), per-editor IoU, "
                    "generator confusion and mIoU by the number of visible edit turns.",
        reported=(
            Reported("DeepLabv3+ R50 (512 px)", PAPER, {"clean": {"pixel_acc": 0.916, "miou": 0.760, "bf1": 0.431}},
                     supervision="pixel masks", training_data="DiffSeg30k train"),
            Reported("FCN-8s", PAPER, {"clean": {"pixel_acc": 0.192, "miou": 0.039, "bf1": 0.053}},
                     supervision="pixel masks", training_data="DiffSeg30k train"),
        ))
