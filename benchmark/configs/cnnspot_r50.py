# CNNSpot (Wang et al. 2020) as DiffSeg30k's Table 6 and the Semi-Truths faces study train it: a
# torchvision ResNet-50 with one logit, BCE on the image label, Adam 1e-4, batch 64. Augmentation of
# the CNNDetection recipe: shorter side 256, Gaussian blur sigma~U[0,3] and JPEG quality~U[30,100]
# each with probability 0.1 (the "blur+jpeg (0.1)" model), random 224 crop, horizontal flip; at test
# the shorter side 256 and a centre 224 crop. Smaller images are padded first (PadIfNeeded), so the
# demo data runs too. Checkpoints are selected by validation AP (labels from the dataset).
_base_ = ["./_image_classifier.py"]
model = dict(type="cnnspot", pretrained=None)
_resize = [dict(type="SmallestMaxSize", max_size=256), dict(type="PadIfNeeded", min_height=224, min_width=224)]
data = dict(size=224, batch_size=64, val_batch_size=64, num_workers=None,
            pipeline=dict(
                train=_resize + [dict(type="GaussianBlur", blur_limit=0, sigma_limit=(0.0, 3.0), p=0.1),
                                 dict(type="ImageCompression", quality_range=(30, 100), p=0.1),
                                 dict(type="RandomCrop", height=224, width=224),
                                 dict(type="HorizontalFlip", p=0.5)],
                test=_resize + [dict(type="CenterCrop", height=224, width=224)]))
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-4))
train_cfg = dict(max_iters=20000, val_interval=2000)
checkpoint = dict(interval=2000)
log_interval = 50
