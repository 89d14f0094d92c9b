# SegFormer (Xie et al. 2021) with the MiT-B2 encoder (smp's `mit_b2`), on the DiffSeg30k paper's
# 512 px schedule (batch 16, 30k iterations, the best validation mIoU kept) with SegFormer's own
# optimiser as MMSegmentation trains it (segformer_mit-b2_8xb2-160k_ade20k-512x512): AdamW lr 6e-5,
# betas (0.9, 0.999), weight decay 0.01 (none on the normalisation layers), the decoder and heads at
# 10x the learning rate, 1500 iterations of linear warm-up, then poly(1.0) down to 0.
# ImageNet weights of the encoder from a local file: --cfg-options model.pretrained=PATH (SegFormer's
# mit_b2.pth or smp's mit_b2 safetensors). Any other smp architecture or encoder: model.arch, model.encoder.
_base_ = ["./deeplabv3plus_r50_512.py"]
model = dict(_delete_=True, type="smp", arch="segformer", encoder="mit_b2", arch_params=dict(), pretrained=None,
             download=False, noise_residual=False, score_rule="max", class_weight=None, image_head=False)
optim_wrapper = dict(
    _delete_=True, type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0,
                       custom_keys={"net.decoder": dict(lr_mult=10.0), "net.segmentation_head": dict(lr_mult=10.0),
                                    "net.classification_head": dict(lr_mult=10.0)}))
param_scheduler = [dict(type="LinearLR", start_factor=1e-6, by_epoch=False, begin=0, end=1500),
                   dict(type="PolyLR", power=1.0, eta_min=0.0, by_epoch=False, begin=1500)]
