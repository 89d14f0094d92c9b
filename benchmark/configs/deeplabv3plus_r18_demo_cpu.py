# Small CPU setting for the demo data (`bench data demo --format diffseg`): DeepLabv3+ with a
# ResNet-18 encoder from random init, trained on native-resolution 128 px crops of the 256 px images
# (edit traces are low-level: resizing would erase them), validated and predicted at 256 px.
# Adam-type optimiser at one learning rate (no pretrained encoder to protect), edited pixels
# weighted x3 (they are ~15% of the pixels).
_base_ = ["./deeplabv3plus_r50_512.py"]
model = dict(encoder="resnet18", class_weight=None, score_rule="topk_mean:0.01")
data = dict(size=256, crop=128, batch_size=8, val_batch_size=16, num_workers=1)
optim_wrapper = dict(
    _delete_=True, type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=1e-5, by_epoch=False)]
train_cfg = dict(max_iters=600, val_interval=100)
checkpoint = dict(interval=100, max_keep=1)
log_interval = 20
