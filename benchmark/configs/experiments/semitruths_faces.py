# The Semi-Truths faces study (seed thesis): CNNSpot trained real vs edited on the CelebA-HQ facial
# regions, scored on the test split by diffusion model, facial region and edit magnitude, with its
# Grad-CAM maps scored against the masks, and the file-format shortcut reported beside it.
name = "semitruths-faces"
description = "Semi-Truths faces study: CNNSpot by diffusion model, facial region and edit magnitude, with Grad-CAM maps scored."
dataset = "semitruths[preset=thesis-celebahq]"
trainings = [dict(name="cnnspot", config="cnnspot_r50", task="binary")]
evaluation = dict(split="test", distortions=["clean", "jpeg60"], policy=dict(preset="diffseg"), explain="gradcam", audit_format=True,
                  breakdown=["diffusion_model", "mask_name", "sem_magnitude"])
scales = dict(paper=dict(), demo=dict(all=dict(max_iters=60, batch_size=8,
                                               cfg_options={"data.num_workers": 1, "data.val_batch_size": 16,
                                                            "train_cfg.val_interval": 30, "checkpoint.interval": 30})))
table = dict(cols="metric", metrics=["ap", "auc", "image_acc", "iou", "pbca", "pixel_auc"])
