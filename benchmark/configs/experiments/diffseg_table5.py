# DiffSeg30k Table 5: leave-two-out editors. DeepLabv3+ binary trained on six editors and scored on
# the validation images edited by the two held-out ones only (plus the unedited ones), beside the
# baseline trained and scored on all eight (Acc / mIoU / bF1). The paper's pairs at paper scale;
# at demo scale pairs of the demo's own editors.
name = "diffseg-table5"
description = "Generalisation to unseen editors: trained on six, scored on images edited by the other two."
dataset = "diffseg"
trainings = [
    dict(name="baseline", config="deeplabv3plus_r50_512", task="binary"),
    dict(name="unseen-flux-hunyuan", config="deeplabv3plus_r50_512", task="binary",
         holdout_generators=["Flux.1", "HunyuanDiT-1.1"]),
    dict(name="unseen-sd2-sd3.5", config="deeplabv3plus_r50_512", task="binary", holdout_generators=["SD2", "SD3.5"]),
    dict(name="unseen-glide-kolors", config="deeplabv3plus_r50_512", task="binary",
         holdout_generators=["Glide", "Kolors"]),
]
# editors="held-out": each run is scored on `diffseg[editors=<its held-out pair>]`; the baseline,
# holding none out, on every editor.
evaluation = dict(split="val", distortions=["clean"], policy=dict(preset="diffseg"), editors="held-out",
                  breakdown=["turns"])
_demo = {"model.encoder": "resnet18", "model.noise_residual": True, "data.num_workers": 1,
         "train_cfg.val_interval": 150, "checkpoint.interval": 150, "log_interval": 50}
scales = dict(paper=dict(), demo=dict(
    all=dict(max_iters=300, batch_size=8, size=128, cfg_options=_demo),
    **{"unseen-flux-hunyuan": dict(holdout_generators=["telea", "navier-stokes"]),
       "unseen-sd2-sd3.5": dict(holdout_generators=["biharmonic", "copy-fill"]),
       "unseen-glide-kolors": dict(holdout_generators=["noisy-lowpass", "splice"])}))
table = dict(cols="metric", metrics=["pixel_acc", "miou", "bf1"])
reference = [
    dict(row="baseline", values=dict(pixel_acc=0.984, miou=0.974, bf1=0.761)),
    dict(row="unseen-flux-hunyuan", values=dict(pixel_acc=0.920, miou=0.867, bf1=0.526)),
    dict(row="unseen-sd2-sd3.5", values=dict(pixel_acc=0.931, miou=0.833, bf1=0.372)),
    dict(row="unseen-glide-kolors", values=dict(pixel_acc=0.953, miou=0.927, bf1=0.648)),
]
