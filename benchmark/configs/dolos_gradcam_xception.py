# Grad-CAM as DOLOS trains it: with image labels (setups A, B) an Xception real/fake classifier
# (Linear(2048, 2), cross-entropy) whose Grad-CAM on block11 is the map; with masks (setup C) Xception
# up to block11 plus an FCN head, per-pixel cross-entropy at 19x19. Adam 1e-3, batch 32, 100 epochs
# of 500 iterations (the reference's weak runs; its setup-C run stops at 50: --max-iters 25000).
# DOLOS starts from ImageNet weights: --cfg-options model.pretrained=PATH (timm legacy_xception).
_base_ = ["./_dolos_xception.py"]
model = dict(type="dolos_gradcam", supervision="auto", pretrained=None)
data = dict(batch_size=32, val_batch_size=32)
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3))
train_cfg = dict(max_iters=50000)
