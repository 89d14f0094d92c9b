# DiffSeg30k Table 5: leave-two-out editors, DeepLabv3+ binary trained on six editors and scored on
# the validation split (Acc / mIoU / bF1). The paper's pairs at paper scale; at demo scale pairs of
# the demo's own editors.
name = "diffseg-table5"
dataset = "diffseg"
trainings = [
    dict(name="without-flux-hunyuan", config="deeplabv3plus_r50_512", task="binary",
         holdout_generators=["Flux.1", "HunyuanDiT-1.1"]),
    dict(name="without-sd2-sd3.5", config="deeplabv3plus_r50_512", task="binary", holdout_generators=["SD2", "SD3.5"]),
    dict(name="without-glide-kolors", config="deeplabv3plus_r50_512", task="binary",
         holdout_generators=["Glide", "Kolors"]),
]
evaluation = dict(split="val", distortions=["clean"], policy=dict(preset="diffseg"), breakdown=["turns"])
_demo = {"model.encoder": "resnet18", "model.noise_residual": True, "data.num_workers": 1,
         "train_cfg.val_interval": 150, "checkpoint.interval": 150, "log_interval": 50}
scales = dict(paper=dict(), demo=dict(
    all=dict(max_iters=300, batch_size=8, size=128, cfg_options=_demo),
    **{"without-flux-hunyuan": dict(holdout_generators=["telea", "navier-stokes"]),
       "without-sd2-sd3.5": dict(holdout_generators=["biharmonic", "copy-fill"]),
       "without-glide-kolors": dict(holdout_generators=["noisy-lowpass", "splice"])}))
table = dict(cols="metric", metrics=["pixel_acc", "miou", "bf1"])
reference = [
    dict(row="without-flux-hunyuan", values=dict(pixel_acc=0.920, miou=0.867, bf1=0.526)),
    dict(row="without-sd2-sd3.5", values=dict(pixel_acc=0.931, miou=0.833, bf1=0.372)),
    dict(row="without-glide-kolors", values=dict(pixel_acc=0.953, miou=0.927, bf1=0.648)),
]
