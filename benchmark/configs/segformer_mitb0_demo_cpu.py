# Small CPU setting for the demo data (`bench data demo --format diffseg`, 256 px images): SegFormer
# with a randomly initialised MiT-B0 encoder, trained as the DeepLabv3+ demo is
# (deeplabv3plus_r10t_demo_cpu): batch 8, AdamW 1e-3 for every parameter (nothing pretrained to
# protect), poly(0.9), cross-entropy with edited pixels weighted x2 plus soft Dice, the fixed
# high-pass input channels, float32 on 2 threads so that another CPU trains the same weights.
# Its numbers show the pipeline at work, not SegFormer's: a transformer from scratch on a few
# hundred images learns little. upernet_r18_demo_cpu starts from this file.
_base_ = ["./segformer_mitb2_512.py"]
model = dict(encoder="mit_b0", class_weight=(1.0, 2.0), dice_weight=1.0, noise_residual=True,
             score_rule="topk_mean:0.01")
data = dict(size=160, batch_size=8, val_batch_size=16, num_workers=1)
optim_wrapper = dict(_delete_=True, type="OptimWrapper", optimizer=dict(type="AdamW", lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=1e-5, by_epoch=False)]
train_cfg = dict(max_iters=1600, val_interval=400)
checkpoint = dict(interval=400, max_keep=1)
log_interval = 25
threads = 2
