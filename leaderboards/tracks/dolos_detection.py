"""DOLOS detection: real faces vs Repaint-P2-9k partial inpaintings (setup B), ranked by average
precision; localizers take part through their image scores."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

PAPER = "DOLOS (WACV 2024), setup B table"


@TRACKS.register_module(name="dolos-detection")
def track() -> Track:
    return Track(
        name="dolos-detection", title="DOLOS detection", dataset="dolos[setup=B]", split="test", task="detection",
        rank_by="ap", tie_break=("auc", "image_acc"), columns=("ap", "auc", "image_acc"), policy="dolos",
        accepts=("detection", "binary"),
        description="Setup B: is the face real or partially inpainted? Image labels only.",
        reported=tuple(
            Reported(method, PAPER, {"clean": {"ap": ap}}, supervision="image labels", training_data="DOLOS setup B train")
            for method, ap in (("Grad-CAM", 0.944), ("Patches", 0.953), ("Attention", 0.944))))
