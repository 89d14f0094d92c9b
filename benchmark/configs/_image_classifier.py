# Shared by the image-level classifiers (cnnspot, univfd): constant learning rate, checkpoints
# selected by validation AP (from the dataset's labels), the `val` split.
data = dict(val_split="val", dataset=None, crop=None)
param_scheduler = [dict(type="ConstantLR", factor=1.0, by_epoch=False)]
checkpoint = dict(max_keep=2, select="ap", rule="greater")
seed = 0
sync_bn = None
