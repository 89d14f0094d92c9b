# FFD's attention map as DOLOS trains it: Xception with a sigmoid regression map after block7 (19x19)
# that weights the features. Image labels (setups A, B): CE(label) + 1 x BCE(max of the map, label),
# Adam 1e-4; masks (setup C): BCE of the map against the mask at 19x19 (+ CE(label): set
# model.label_weight=0 for the reference's map-only loss), Adam 3e-4. Batch 16, 15 epochs of 500
# iterations. DOLOS starts from FFD's trained weights; here random init, or model.pretrained=PATH.
_base_ = ["./_dolos_xception.py"]
model = dict(type="dolos_attention", supervision="auto", pretrained=None, lam=1.0, label_weight=1.0)
data = dict(batch_size=16, val_batch_size=16)
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=dict(weak=1e-4, full=3e-4)))
train_cfg = dict(max_iters=7500)
