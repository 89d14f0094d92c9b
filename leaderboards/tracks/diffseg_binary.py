"""DiffSeg30k binary localization: which pixels were edited, on the validation split (the release's
only held-out split), under the DiffSeg30k scoring rules."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

PAPER = "DiffSeg30k paper (arXiv 2511.19111), Table 2"


@TRACKS.register_module(name="diffseg-binary")
def track() -> Track:
    return Track(
        name="diffseg-binary", title="DiffSeg30k binary", dataset="diffseg", split="val", task="binary",
        rank_by="miou", tie_break=("bf1", "pixel_acc"), columns=("pixel_acc", "miou", "bf1"), policy="diffseg",
        per_generator="iou_per_generator",
        description="Edited vs unedited pixels; one confusion matrix over the split, mIoU of 'edited', "
                    "boundary F1 at 0.75 % of the diagonal.",
        reported=(
            Reported("DeepLabv3+ R50 (512 px)", PAPER, {"clean": {"pixel_acc": 0.984, "miou": 0.974, "bf1": 0.761}},
                     supervision="pixel masks", training_data="DiffSeg30k train"),
            Reported("FCN-8s", PAPER, {"clean": {"pixel_acc": 0.566, "miou": 0.366, "bf1": 0.363}},
                     supervision="pixel masks", training_data="DiffSeg30k train"),
        ))
