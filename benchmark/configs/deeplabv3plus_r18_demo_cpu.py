# Small CPU setting for the demo data (`bench data demo --format diffseg`, 256 px images):
# DeepLabv3+ with a randomly initialised ResNet-18 encoder at 160 px, batch 8, 1000 iterations.
# No pretrained encoder to protect, so one learning rate for all parameters; edited pixels (~15%
# of all) weighted x2; light ASPP dropout for a small dataset; the fixed high-pass input channels
# (noise_residual) speed up learning edit traces from scratch.
_base_ = ["./deeplabv3plus_r50_512.py"]
model = dict(encoder="resnet18", class_weight=(1.0, 2.0), noise_residual=True, aspp_dropout=0.1,
             score_rule="topk_mean:0.01")
data = dict(size=160, batch_size=8, val_batch_size=16, num_workers=1)
optim_wrapper = dict(_delete_=True, type="OptimWrapper",
                     optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=1e-4, by_epoch=False)]
train_cfg = dict(max_iters=1000, val_interval=250)
checkpoint = dict(interval=250, max_keep=1)
log_interval = 25
