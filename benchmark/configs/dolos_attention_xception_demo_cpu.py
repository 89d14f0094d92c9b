# Small CPU setting for the DOLOS demo data (`bench data demo --format dolos`, 256 px): the Attention
# recipe (learning rate 1e-4 with image labels, 3e-4 with masks) at 128 px (8x8 maps), batch 8, 150
# iterations with a validation every 50, random init. Any setup: dolos[setup=A], [setup=B] (image
# labels), [setup=C] (masks). It shows the pipeline at work in about two minutes on 2 CPU cores;
# its numbers are not the paper's.
_base_ = ["./dolos_attention_xception.py"]
data = dict(size=128, batch_size=8, val_batch_size=16, num_workers=0)
train_cfg = dict(max_iters=150, val_interval=50)
checkpoint = dict(interval=50, max_keep=1)
log_interval = 25
