# DiffSeg30k Table 3: DeepLabv3+ and FCN-8s, binary and semantic, clean and under JPEG 80/60 and
# resizing to 256/1024 px (Acc / mIoU / bF1 on the validation split, DiffSeg30k scoring rules).
# `--scale paper` trains the packaged paper configs as they are; `--scale demo` shrinks them to
# CPU size for the embedded demo data.
name = "diffseg-table3"
description = "DiffSeg30k Table 3: segmentation baselines under JPEG and resizing."
dataset = "diffseg"
trainings = [
    dict(name="deeplabv3plus-binary", config="deeplabv3plus_r50_512", task="binary"),
    dict(name="deeplabv3plus-semantic", config="deeplabv3plus_r50_512", task="semantic"),
    dict(name="fcn8s-binary", config="fcn8s_vgg16_512", task="binary"),
    dict(name="fcn8s-semantic", config="fcn8s_vgg16_512", task="semantic"),
]
evaluation = dict(split="val", distortions=["clean", "jpeg80", "jpeg60", "resize256", "resize1024"],
                  policy=dict(preset="diffseg"))
# Demo scale: DeepLabv3+ with the Quickstart's CPU recipe (ResNet-10-T, high-pass input, AdamW,
# 128 px crops of the 256 px images), FCN-8s on ResNet-18 with AdamW at 160 px, 600 iterations
# each (docs/experiments.md gives the time).
_demo_fcn = {"model.backbone": "resnet18", "data.num_workers": 1,
             "optim_wrapper.optimizer": dict(_delete_=True, type="AdamW", lr=1e-3, weight_decay=1e-4)}
_demo = dict(max_iters=600, cfg_options={"train_cfg.val_interval": 300, "checkpoint.interval": 300})
scales = dict(
    paper=dict(),
    demo=dict(all=_demo,
              **{"deeplabv3plus-binary": dict(config="deeplabv3plus_r10t_demo_cpu"),
                 # the recipe's class weights are binary's (unedited, edited)
                 "deeplabv3plus-semantic": dict(config="deeplabv3plus_r10t_demo_cpu",
                                                cfg_options={"model.class_weight": None}),
                 "fcn8s-binary": dict(size=160, batch_size=8, cfg_options=_demo_fcn),
                 "fcn8s-semantic": dict(size=160, batch_size=8, cfg_options=_demo_fcn)}),
)
table = dict(cols="distortion", metrics=["pixel_acc", "miou", "bf1"])
# ../shared/spec/metrics.md, from the DiffSeg30k paper (DeepLabv3+ R50 at 512 px; FCN-8s clean only).
reference = [
    dict(row="deeplabv3plus-binary", values=dict(
        pixel_acc=dict(clean=0.984, jpeg80=0.907, jpeg60=0.867, resize256=0.811, resize1024=0.816),
        miou=dict(clean=0.974, jpeg80=0.847, jpeg60=0.782, resize256=0.751, resize1024=0.729),
        bf1=dict(clean=0.761, jpeg80=0.613, jpeg60=0.556, resize256=0.631, resize1024=0.499))),
    dict(row="deeplabv3plus-semantic", values=dict(
        pixel_acc=dict(clean=0.916, jpeg80=0.190, jpeg60=0.184, resize256=0.021, resize1024=0.168),
        miou=dict(clean=0.760, jpeg80=0.014, jpeg60=0.013, resize256=0.012, resize1024=0.168),
        bf1=dict(clean=0.431, jpeg80=0.019, jpeg60=0.019, resize256=0.021, resize1024=0.014))),
    dict(row="fcn8s-binary", values=dict(pixel_acc=dict(clean=0.566), miou=dict(clean=0.366), bf1=dict(clean=0.363))),
    dict(row="fcn8s-semantic", values=dict(pixel_acc=dict(clean=0.192), miou=dict(clean=0.039), bf1=dict(clean=0.053))),
]
