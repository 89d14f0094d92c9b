# UPerNet (Xiao et al. 2018) on ConvNeXt-T (timm's `convnext_tiny` through smp's timm encoders), on the
# DiffSeg30k paper's 512 px schedule (batch 16, 30k iterations, the best validation mIoU kept) with
# ConvNeXt's segmentation optimiser as MMSegmentation trains it
# (convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512): AdamW lr 1e-4, weight decay 0.05
# (none on normalisation layers and biases), stochastic depth 0.4, 1500 iterations of linear
# warm-up, then poly(1.0) down to 0. Not reproduced: MMSegmentation's stage-wise learning-rate
# decay (0.9) and its auxiliary FCN head, which smp's UPerNet does not have.
# ImageNet weights from a local file in timm's layout: --cfg-options model.pretrained=PATH (e.g.
# convnext_tiny's model.safetensors; timm maps it onto the feature extractor).
_base_ = ["./segformer_mitb2_512.py"]
model = dict(arch="upernet", encoder="tu-convnext_tiny", arch_params=dict(drop_path_rate=0.4))
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.05),
                     paramwise_cfg=dict(_delete_=True, norm_decay_mult=0.0, bias_decay_mult=0.0))
