# Beyond the paper: today's segmenters on DiffSeg30k beside the paper's DeepLabv3+ and FCN-8s rows.
# SegFormer (MiT-B2) and UPerNet (ConvNeXt-T), binary and semantic, clean and under Table 3's JPEG
# 80/60 and resizing to 256/1024 px (Acc / mIoU / bF1 on the validation split, DiffSeg30k scoring
# rules; the clean column is Table 2's). `--scale paper` trains the packaged 512 px configs on the
# paper's schedule; `--scale demo` their CPU variants (SegFormer on MiT-B0, UPerNet on ResNet-18,
# random init) on the embedded demo data, shrunk to fit two CPU cores in well under 20 minutes:
# 128 px, 400 iterations, one validation at the end (the checkpoint kept), slimmer decoders.
_base_ = ["./diffseg_table3.py"]
name = "diffseg-modern"
description = ("SegFormer and UPerNet on DiffSeg30k under JPEG and resizing, beside the paper's DeepLabv3+ "
               "and FCN-8s (Tables 2 and 3).")
trainings = [
    dict(name="segformer-binary", config="segformer_mitb2_512", task="binary"),
    dict(name="segformer-semantic", config="segformer_mitb2_512", task="semantic"),
    dict(name="upernet-binary", config="upernet_convnext_tiny_512", task="binary"),
    dict(name="upernet-semantic", config="upernet_convnext_tiny_512", task="semantic"),
]
_iters = 400
_demo = dict(max_iters=_iters, size=128,
             cfg_options={"train_cfg.val_interval": _iters, "checkpoint.interval": _iters})
# Half the decoders' widths of the demo configs: at 128 px the decoders cost as much as the encoders.
_segformer = {"model.arch_params": dict(decoder_segmentation_channels=128)}
_upernet = {"model.arch_params": dict(decoder_channels=64)}
_semantic = {"model.class_weight": None}  # the demo recipes' class weights are binary's (unedited, edited)
scales = dict(
    _delete_=True,
    paper=dict(),
    demo=dict(all=_demo,
              **{"segformer-binary": dict(config="segformer_mitb0_demo_cpu", cfg_options=_segformer),
                 "segformer-semantic": dict(config="segformer_mitb0_demo_cpu", cfg_options={**_segformer, **_semantic}),
                 "upernet-binary": dict(config="upernet_r18_demo_cpu", cfg_options=_upernet),
                 "upernet-semantic": dict(config="upernet_r18_demo_cpu", cfg_options={**_upernet, **_semantic})}),
)
# `evaluation`, `table` and `reference` (Table 3's DeepLabv3+ and FCN-8s rows, the paper's numbers)
# come with the base file.
