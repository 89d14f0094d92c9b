"""Semi-Truths faces detection: real CelebA-HQ faces vs their inpainted facial regions (the seed
thesis' subset), ranked by average precision, with the share found per diffusion model. Each face
is shown once, as the original or as one of its edits (`unpaired`), drawn so that the share of
originals stays the subset's."""
from benchmark.registry import TRACKS

from ..track import Track


@TRACKS.register_module(name="semitruths-faces-detection")
def track() -> Track:
    return Track(
        name="semitruths-faces-detection", title="Semi-Truths faces detection",
        dataset="semitruths[preset=thesis-celebahq;unpaired=0]", split="test", task="detection", rank_by="ap",
        tie_break=("auc", "image_acc"), columns=("ap", "auc", "image_acc"), policy="diffseg",
        accepts=("detection", "binary"), breakdowns=("diffusion_model", "mask_name"),
        per_group=("diffusion_model", "image_acc"),
        description="CelebA-HQ originals and their inpainted neck, hair, nose, skin, lips, cloth, ears and mouth; "
                    "image_acc per diffusion model is the share of its edits found.")
