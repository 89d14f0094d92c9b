# Patch-Forensics as DOLOS trains it: Xception truncated after block2 plus a 1x1 convolution, 37x37
# patch logits, from scratch (xavier, gain 0.02). Image labels (setups A, B): every patch takes its
# image's label; masks (setup C): cross-entropy against the mask at 37x37. Adam 1e-3, batch 64,
# 100 epochs of 500 iterations (the reference's weak runs; its setup-C run stops at 50: --max-iters 25000).
_base_ = ["./_dolos_xception.py"]
model = dict(type="dolos_patches", supervision="auto", pretrained=None)
data = dict(batch_size=64, val_batch_size=64)
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3))
train_cfg = dict(max_iters=50000)
