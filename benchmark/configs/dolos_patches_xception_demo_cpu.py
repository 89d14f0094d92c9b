# Small CPU setting for the DOLOS demo data (`bench data demo --format dolos`, 256 px): the
# Patch-Forensics recipe at 128 px (16x16 patch logits), batch 8, 200 iterations with a validation
# every 50. Any setup: dolos[setup=A], [setup=B] (image labels), [setup=C] (masks). It shows the
# pipeline at work in about a minute on 2 CPU cores; its numbers are not the paper's.
_base_ = ["./dolos_patches_xception.py"]
data = dict(size=128, batch_size=8, val_batch_size=16, num_workers=0)
train_cfg = dict(max_iters=200, val_interval=50)
checkpoint = dict(interval=50, max_keep=1)
log_interval = 25
