# FCN-8s on VGG16 (pool3/pool4/pool5 taps) for DiffSeg30k: mean-reduced CE, ordinary learning rates.
_base_ = ["./deeplabv3plus_r50_512.py"]
model = dict(_delete_=True, type="fcn8s", backbone="vgg16", variant="8s", pretrained=None, download=False,
             score_rule="max", class_weight=None)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9, weight_decay=5e-4))
