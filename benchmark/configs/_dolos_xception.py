# Shared by the DOLOS weak-supervision trio on Xception (Tantaru et al., WACV 2024; code bit-ml/dolos):
# 299 px inputs (the models normalise with mean = std = 0.5), Adam at a constant learning rate, an
# "epoch" of 500 iterations with a validation after each, and the checkpoint with the lowest
# validation loss kept, as DOLOS does (the validation split only, never test). The models take
# supervision="auto": the dataset spec decides, image labels for setups A and B (dolos[setup=A],
# dolos[setup=B]: no mask is ever read), masks for setup C (dolos[setup=C]); a value written
# dict(weak=..., full=...) takes the one of that supervision.
data = dict(size=299, num_workers=None, val_split="val", dataset=None, crop=None)
param_scheduler = [dict(type="ConstantLR", factor=1.0, by_epoch=False)]
train_cfg = dict(val_interval=500)
checkpoint = dict(interval=500, max_keep=2, select="loss", rule="less")
log_interval = 50
seed = 0
sync_bn = None
