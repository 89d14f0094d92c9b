"""COCO-Glide cross-dataset localization: GLIDE inpaintings of COCO images, a test set no method
trains on; pixel F1 at 0.5 per image, with IoU, pixel AUC and image-level AP beside it. Each COCO
image is shown once, as itself or as its inpainting (`unpaired`): both side by side would give
the mask away."""
from benchmark.registry import TRACKS

from ..track import Track


@TRACKS.register_module(name="cocoglide-cross")
def track() -> Track:
    return Track(
        name="cocoglide-cross", title="COCO-Glide cross-dataset", dataset="cocoglide[unpaired=0]", split="test", task="binary",
        rank_by="f1", tie_break=("pixel_auc", "iou"), columns=("f1", "iou", "pixel_auc", "ap", "auc"),
        policy="diffseg",
        description="Trained elsewhere, tested on COCO-Glide: per-image F1 and IoU over the fakes, pixel AUC, "
                    "and AP/AUC of the image scores against the real COCO images; each COCO image once, real or "
                    "inpainted.")
