# Cross-dataset: the DiffSeg30k binary localisers of Table 3 (the same trainings, reused when
# Table 3 has run) scored on COCO-Glide's 512 inpainted and 512 real images, with DOLOS's rules
# (maps upsampled to the mask, threshold 0.5, per-image IoU and PBCA) and detection AP. Beside them
# the COCO-Glide column of DOLOS Table 4 (other detectors, each trained on its own data).
#   bench experiment run diffseg-cocoglide --root /data/diffseg30k --root cocoglide=/data/CocoGlide
_base_ = ["./diffseg_table3.py"]
name = "diffseg-cocoglide"
description = "DiffSeg30k-trained localisers scored on COCO-Glide (cross-dataset)."
trainings = [
    dict(name="deeplabv3plus-binary", config="deeplabv3plus_r50_512", task="binary"),
    dict(name="fcn8s-binary", config="fcn8s_vgg16_512", task="binary"),
]
evaluation = dict(_delete_=True, dataset="cocoglide", split="test", distortions=["clean"], policy=dict(preset="dolos"))
table = dict(_delete_=True, cols="metric", metrics=["iou", "pbca", "ap", "auc"])
# DOLOS Table 4, COCO Glide column (IoU / PBCA in %, here as fractions).
reference = [
    dict(row="MantraNet", values=dict(iou=0.251, pbca=0.798)),
    dict(row="Noiseprint", values=dict(iou=0.239, pbca=0.290)),
    dict(row="PSCC", values=dict(iou=0.333, pbca=0.806)),
    dict(row="TruFor", values=dict(iou=0.292, pbca=0.814)),
    dict(row="HiFi-Net", values=dict(iou=0.026, pbca=0.032)),
    dict(row="Patches (DOLOS setup C)", values=dict(iou=0.308, pbca=0.648)),
]
