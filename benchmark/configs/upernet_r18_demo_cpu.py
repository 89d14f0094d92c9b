# Small CPU setting for the demo data (`bench data demo --format diffseg`, 256 px images): UPerNet
# on a randomly initialised ResNet-18 with a 128-channel decoder, with SegFormer's demo recipe
# (segformer_mitb0_demo_cpu: the DeepLabv3+ demo's optimiser, loss and input channels, float32).
# Its numbers show the pipeline at work.
_base_ = ["./segformer_mitb0_demo_cpu.py"]
model = dict(arch="upernet", encoder="resnet18", arch_params=dict(_delete_=True, decoder_channels=128))
