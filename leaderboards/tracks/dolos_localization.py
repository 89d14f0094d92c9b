"""DOLOS localization: the setup C test masks (Repaint-P2 inpaintings of CelebA-HQ), scored with
the DOLOS rules (bicubic resize, p > 0.5, per-image IoU and pixel accuracy averaged)."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

PAPER = "DOLOS (WACV 2024), setup C table"
TRAIN = "DOLOS setup C train"


@TRACKS.register_module(name="dolos-localization")
def track() -> Track:
    return Track(
        name="dolos-localization", title="DOLOS localization", dataset="dolos[setup=C]", split="test",
        task="binary", rank_by="iou", tie_break=("pbca",), columns=("iou", "pbca", "f1"), policy="dolos",
        description="Setup C: partially inpainted faces with masks; IoU and PBCA per image, averaged over the fakes.",
        reported=tuple(
            Reported(method, PAPER, {"clean": {"iou": iou, "pbca": pbca}}, supervision="pixel masks", training_data=TRAIN)
            for method, iou, pbca in (("Grad-CAM", 0.837, 0.968), ("Patches", 0.845, 0.986),
                                      ("Attention", 0.703, 0.976))))
