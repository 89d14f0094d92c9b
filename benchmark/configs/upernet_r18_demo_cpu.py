# Small CPU setting for the demo data (`bench data demo --format diffseg`, 256 px images): UPerNet
# on a randomly initialised ResNet-18 with a 128-channel decoder, with the DeepLabv3+ demo recipe
# (deeplabv3plus_r18_demo_cpu): 160 px, batch 8, AdamW 1e-3 for every parameter, poly(0.9),
# cross-entropy with edited pixels weighted x2 plus soft Dice, the fixed high-pass input channels,
# bfloat16 autocast where the CPU computes it natively. Its numbers show the pipeline at work.
_base_ = ["./upernet_convnext_tiny_512.py"]
model = dict(encoder="resnet18", arch_params=dict(_delete_=True, decoder_channels=128), class_weight=(1.0, 2.0),
             dice_weight=1.0, noise_residual=True, score_rule="topk_mean:0.01", cpu_bf16=True)
data = dict(size=160, batch_size=8, val_batch_size=16, num_workers=1)
optim_wrapper = dict(_delete_=True, type="OptimWrapper", optimizer=dict(type="AdamW", lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=1e-5, by_epoch=False)]
train_cfg = dict(max_iters=1600, val_interval=400)
checkpoint = dict(interval=400, max_keep=1)
log_interval = 25
