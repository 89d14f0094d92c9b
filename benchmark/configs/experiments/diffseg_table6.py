# DiffSeg30k Tables 6 and 7: whole-image classifiers asked whether an image holds any edited
# region (Acc / mAP on the validation split). CNNSpot and the UnivFD probe trained on every editor
# (Table 6), and the probe trained on six editors, scored on the images edited by the two held-out
# ones plus the unedited ones (Table 7). The paper adds 30k real COCO images to the training
# negatives; put them in the dataset as unedited images (all-zero masks) to do the same.
# UnivFD needs local CLIP ViT-L/14 weights: give
#   --cfg-options model.clip_weights=/path/ViT-L-14.pt model.clip_model=ViT-L-14-quickgelu
# (to every action: they are part of those runs' definitions); the CNNSpot runs take no such key.
name = "diffseg-table6"
description = "Whole-image classifiers on local edits, seen and unseen editors (DiffSeg30k Tables 6 and 7)."
dataset = "diffseg"
trainings = [
    dict(name="cnnspot", config="cnnspot_r50", task="binary"),
    dict(name="univfd", config="univfd_vitl14", task="binary"),
    dict(name="univfd-unseen-flux-hunyuan", config="univfd_vitl14", task="binary",
         holdout_generators=["Flux.1", "HunyuanDiT-1.1"]),
    dict(name="univfd-unseen-sd2-sd3.5", config="univfd_vitl14", task="binary", holdout_generators=["SD2", "SD3.5"]),
    dict(name="univfd-unseen-glide-kolors", config="univfd_vitl14", task="binary",
         holdout_generators=["Glide", "Kolors"]),
]
evaluation = dict(split="val", distortions=["clean"], policy=dict(preset="diffseg"), editors="held-out")
_demo = dict(max_iters=60, batch_size=8, cfg_options={"data.num_workers": 1, "data.val_batch_size": 16,
                                                      "train_cfg.val_interval": 30, "checkpoint.interval": 30})
scales = dict(paper=dict(), demo=dict(
    all=_demo,
    **{"univfd-unseen-flux-hunyuan": dict(holdout_generators=["telea", "navier-stokes"]),
       "univfd-unseen-sd2-sd3.5": dict(holdout_generators=["biharmonic", "copy-fill"]),
       "univfd-unseen-glide-kolors": dict(holdout_generators=["noisy-lowpass", "splice"])}))
table = dict(cols="metric", metrics=["image_acc", "ap"])
reference = [
    dict(row="cnnspot", values=dict(image_acc=0.942, ap=0.979)),
    dict(row="univfd", values=dict(image_acc=0.860, ap=0.934)),
    dict(row="univfd-unseen-flux-hunyuan", values=dict(image_acc=0.768, ap=0.877)),
    dict(row="univfd-unseen-sd2-sd3.5", values=dict(image_acc=0.714, ap=0.817)),
    dict(row="univfd-unseen-glide-kolors", values=dict(image_acc=0.749, ap=0.844)),
]
