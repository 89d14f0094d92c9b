# UnivFD-style probe (Ojha et al. 2023) as DiffSeg30k's Table 6 uses it: frozen CLIP ViT-L/14 image
# embeddings (open_clip; give the weights with --cfg-options model.clip_weights=PATH, e.g. OpenAI's
# ViT-L-14.pt with model.clip_model=ViT-L-14-quickgelu) and Linear(768, 1), BCE, AdamW 1e-4, batch
# 256. The encoder is frozen, so the pipeline is deterministic (shorter side 224, centre 224 crop)
# and embeddings are cached: each image is encoded once, every later epoch or run reuses it.
# Checkpoints are selected by validation AP.
_base_ = ["./_image_classifier.py"]
model = dict(type="univfd", clip_model="ViT-L-14", clip_weights=None, quick_gelu=None, probe_weights=None, cache=True)
_steps = [dict(type="SmallestMaxSize", max_size=224), dict(type="PadIfNeeded", min_height=224, min_width=224),
          dict(type="CenterCrop", height=224, width=224)]
data = dict(size=224, batch_size=256, val_batch_size=256, num_workers=None,
            pipeline=dict(train=_steps, test=_steps))
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="AdamW", lr=1e-4, weight_decay=0.0))
train_cfg = dict(max_iters=2000, val_interval=200)
checkpoint = dict(interval=200)
log_interval = 20
