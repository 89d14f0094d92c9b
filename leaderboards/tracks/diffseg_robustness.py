"""DiffSeg30k robustness: binary localization of images re-encoded as JPEG 80/60 and resized to
256/1024 px; ranked by the mean mIoU over the four distortions, with each row's mean relative drop
from its clean mIoU."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

DISTORTIONS = ("jpeg80", "jpeg60", "resize256", "resize1024")


@TRACKS.register_module(name="diffseg-robustness")
def track() -> Track:
    return Track(
        name="diffseg-robustness", title="DiffSeg30k robustness", dataset="diffseg", split="val", task="binary",
        rank_by="miou", tie_break=("bf1",), columns=("miou", "bf1"), policy="diffseg", distortions=DISTORTIONS,
        rank_over=DISTORTIONS,
        description="One predictions part per distortion (the participant bundle holds the distorted images); "
                    "ranked by mIoU averaged over JPEG 80, JPEG 60, resize 256 and resize 1024.",
        reported=(
            Reported("DeepLabv3+ R50 (512 px)", "DiffSeg30k paper (arXiv 2511.19111), Table 3",
                     {"clean": {"miou": 0.974, "bf1": 0.761}, "jpeg80": {"miou": 0.847, "bf1": 0.613},
                      "jpeg60": {"miou": 0.782, "bf1": 0.556}, "resize256": {"miou": 0.751, "bf1": 0.631},
                      "resize1024": {"miou": 0.729, "bf1": 0.499}},
                     supervision="pixel masks", training_data="DiffSeg30k train"),
        ))
