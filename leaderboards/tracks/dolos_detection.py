"""DOLOS detection as the paper evaluates it whatever the training setup: the CelebA-HQ real test
faces against the Repaint-P2/CelebA-HQ inpainted test faces, ranked by AP over all of them (its
bootstrap interval needs one value per image), with DOLOS's balanced AP beside it (five draws of
min(#real, #fake) images per label, mean and 2 std: the paper's numbers); localizers take part
through their image scores. A face is never shown beside its own inpainting (`unpaired`: an
inpainted and a real face with the same file name are one face)."""
from benchmark.registry import TRACKS

from ..track import Reported, Track

PAPER = "DOLOS (WACV 2024), Table 2"


@TRACKS.register_module(name="dolos-detection")
def track() -> Track:
    return Track(
        name="dolos-detection", title="DOLOS detection", dataset="dolos[fakes=repaint-p2;reals=true;sources=celebahq;unpaired=0]",
        split="test", task="detection", rank_by="ap", tie_break=("auc",),
        columns=("ap_balanced", "ap_balanced_2std", "auc", "image_acc"), policy="dolos", accepts=("detection", "binary"),
        description="Is the face real or partially inpainted (Repaint-P2)? The same test data for every training setup.",
        reported=tuple(
            Reported(f"{method} (setup {setup})", PAPER, {"clean": {"ap_balanced": ap}}, supervision="image labels",
                     training_data=f"DOLOS setup {setup} train")
            for setup, rows in (("A", (("Grad-CAM", 0.673), ("Patches", 0.953), ("Attention", 0.793))),
                                ("B", (("Grad-CAM", 0.944), ("Patches", 0.953), ("Attention", 0.944))))
            for method, ap in rows))
