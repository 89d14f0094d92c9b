# DiffSeg30k Table 2: DeepLabv3+ and FCN-8s, binary and semantic, clean (Acc / mIoU / bF1 on the
# validation split), with Table 3's trainings.
_base_ = ["./diffseg_table3.py"]
name = "diffseg-table2"
description = "DiffSeg30k Table 2: segmentation baselines on clean validation images."
evaluation = dict(_delete_=True, split="val", distortions=["clean"], policy=dict(preset="diffseg"))
table = dict(_delete_=True, cols="metric", metrics=["pixel_acc", "miou", "bf1"])
reference = [
    dict(row="deeplabv3plus-binary", values=dict(pixel_acc=0.984, miou=0.974, bf1=0.761)),
    dict(row="deeplabv3plus-semantic", values=dict(pixel_acc=0.916, miou=0.760, bf1=0.431)),
    dict(row="fcn8s-binary", values=dict(pixel_acc=0.566, miou=0.366, bf1=0.363)),
    dict(row="fcn8s-semantic", values=dict(pixel_acc=0.192, miou=0.039, bf1=0.053)),
]
