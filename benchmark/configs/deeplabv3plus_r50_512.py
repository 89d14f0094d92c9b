# DeepLabv3+ paper setting for DiffSeg30k: ResNet-50, output stride 16, ASPP rates (6, 12, 18),
# 512 px, SGD lr 0.01 (encoder x0.1), momentum 0.9, wd 1e-4, poly(0.9), batch 16, 30k iterations.
model = dict(type="deeplabv3plus", encoder="resnet50", output_stride=16, atrous_rates=(6, 12, 18),
             pretrained=None, download=False, score_rule="max", class_weight=None)
# `dataset`: a dataset spec such as "dolos[setup=C]" (else `bench train --dataset`); `crop`: random
# training crops of that side after resizing to `size` (None: whole images); `num_workers`: loader
# processes (None: from the cores); `cache`: a folder `bench data prepare` wrote at `size`.
data = dict(size=512, batch_size=16, val_batch_size=8, num_workers=None, val_split="val", dataset=None, crop=None,
            cache=None)
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="SGD", lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={"encoder.": dict(lr_mult=0.1)}))
# `end` of each scheduler defaults to max_iters, so --max-iters rescales the schedule.
param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=1e-4, by_epoch=False)]
train_cfg = dict(max_iters=30000, val_interval=2000)
# Checkpoint selection uses the validation split only: the best validation `miou` (bench score's
# metric: foreground classes, background excluded) is kept as best_*.pth.
checkpoint = dict(interval=2000, max_keep=2, select="miou", rule="greater")
log_interval = 50
seed = 0
sync_bn = None  # "torch" converts BatchNorm to SyncBatchNorm under torchrun
