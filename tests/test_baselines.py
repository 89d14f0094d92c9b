"""What the baselines compute, checked against direct computations (the contract every baseline
follows is checked for all of them in test_baseline_contract.py)."""
import pytest
import torch
import torch.nn.functional as F

from benchmark.baselines import CNNSpot, DeepLabV3Plus, FCN8s
from benchmark.errors import BenchError
from benchmark.registry import BASELINES, lookup


def batch(model, n=2, h=48, w=40, num_classes=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g)
    mask = torch.randint(0, num_classes, (n, h, w), generator=g)
    mask[:, :4] = 255
    return model.data_preprocessor({"inputs": inputs, "mask": mask})


@pytest.mark.parametrize("name,kwargs", [("deeplabv3plus", dict(encoder="resnet18", noise_residual=True)),
                                         ("deeplabv3plus", dict(encoder="resnet18", noise_residual=True, encoder_depth=4,
                                                                decoder_channels=64)),
                                         ("fcn8s", dict(backbone="resnet18")),
                                         ("smp", dict(arch="upernet", encoder="resnet18"))])
@pytest.mark.parametrize("num_classes", [2, 4])
def test_segmentation_loss_is_the_mean_cross_entropy_over_labelled_pixels(name, kwargs, num_classes):
    torch.manual_seed(0)
    model = lookup(BASELINES, name)(num_classes=num_classes, **kwargs).eval()
    data = batch(model, h=50, w=38, num_classes=num_classes)  # sides not divisible by the stride
    out = model(**data)
    assert out["probs"].shape == (2, num_classes, 50, 38)
    assert torch.allclose(out["score"], out["map"].flatten(1).max(1).values)
    logits = model.logits(data["inputs"])
    expected = F.cross_entropy(logits, data["mask"], ignore_index=255)
    assert torch.allclose(out["loss"], expected, atol=1e-5)


@pytest.mark.parametrize("name", ["dolos_gradcam", "dolos_patches", "dolos_attention"])
def test_dolos_models_have_their_own_maps(name):
    with pytest.raises(BenchError, match="its own maps"):
        lookup(BASELINES, name)(num_classes=2, supervision="full").explain("gradcam")


def test_preprocessor_normalises_uint8():
    model = DeepLabV3Plus(2, encoder="resnet18", mean=(10, 20, 30), std=(2, 4, 5))
    x = torch.randint(0, 256, (1, 3, 16, 16), dtype=torch.uint8)
    got = model.data_preprocessor({"inputs": x})["inputs"]
    want = (x.float() - torch.tensor([10, 20, 30.]).view(1, 3, 1, 1)) / torch.tensor([2, 4, 5.]).view(1, 3, 1, 1)
    assert got.dtype == torch.float32 and torch.allclose(got, want)


def test_class_weight_and_all_ignore():
    model = FCN8s(2, backbone="resnet18", class_weight=(1.0, 3.0))
    data = batch(model)
    logits = model.logits(data["inputs"])
    want = F.cross_entropy(logits, data["mask"], weight=torch.tensor([1.0, 3.0]), ignore_index=255)
    assert torch.allclose(model.loss(logits, data["mask"]), want, atol=1e-5)
    assert model.loss(logits, torch.full_like(data["mask"], 255)).item() == 0.0


@pytest.mark.parametrize("num_classes", [2, 3])
def test_dice_term_is_soft_dice_over_foreground_classes(num_classes):
    model = FCN8s(num_classes, backbone="resnet18", dice_weight=0.5)
    data = batch(model, num_classes=num_classes, seed=2)
    logits = model.logits(data["inputs"])
    mask = data["mask"].to(torch.uint8)  # datasets hand over uint8 label maps
    ce = F.cross_entropy(logits, mask.long(), ignore_index=255)
    probs, valid = logits.softmax(1), mask != 255
    dice = []
    for c in range(1, num_classes):  # every class is present in this batch
        p, t = probs[:, c][valid], (mask[valid] == c).float()
        dice.append(1 - 2 * (p * t).sum() / (p.sum() + t.sum()))
    want = ce + 0.5 * torch.stack(dice).mean()
    assert torch.allclose(model.loss(logits, mask), want, atol=1e-5)


def test_cpu_bf16_autocast_keeps_the_contract(monkeypatch):
    import benchmark.baselines.contract as contract

    monkeypatch.setattr(contract, "native_cpu_bf16", lambda: True)
    torch.manual_seed(0)
    fp32 = DeepLabV3Plus(2, encoder="resnet18").eval()
    bf16 = DeepLabV3Plus(2, encoder="resnet18", cpu_bf16=True).eval()
    bf16.load_state_dict(fp32.state_dict())
    data = batch(fp32)
    a, b = fp32(**data), bf16(**data)
    assert b["probs"].dtype == torch.float32 and b["loss"].dtype == torch.float32
    assert not torch.equal(a["probs"], b["probs"])  # bf16 really ran
    assert torch.allclose(a["probs"], b["probs"], atol=0.05) and abs(a["loss"] - b["loss"]) < 0.05
    monkeypatch.setattr(contract, "native_cpu_bf16", lambda: False)
    assert DeepLabV3Plus(2, encoder="resnet18", cpu_bf16=True).cpu_bf16 is False


def test_channels_last_model_gives_the_same_contract():
    from benchmark.baselines.build import build_model

    cfg = dict(type="deeplabv3plus", num_classes=2, encoder="resnet18", noise_residual=True)
    torch.manual_seed(0)
    plain = build_model(cfg).eval()
    nhwc = build_model({**cfg, "channels_last": True}).eval()
    nhwc.load_state_dict(plain.state_dict())
    conv = nhwc.net.encoder.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    g = torch.Generator().manual_seed(3)
    raw = {"inputs": torch.randint(0, 256, (2, 3, 48, 40), dtype=torch.uint8, generator=g),
           "mask": torch.randint(0, 2, (2, 48, 40), generator=g)}
    data = nhwc.data_preprocessor(dict(raw))
    assert data["inputs"].is_contiguous(memory_format=torch.channels_last)
    a, b = plain(**plain.data_preprocessor(dict(raw))), nhwc(**data)
    assert torch.allclose(a["probs"], b["probs"], atol=1e-4) and torch.allclose(a["loss"], b["loss"], atol=1e-4)


def test_topk_score_against_sorting():
    torch.manual_seed(0)
    model = FCN8s(3, backbone="resnet18", score_rule="topk_mean:0.05").eval()
    out = model(**batch(model, h=10, w=10, num_classes=3))
    edited = out["map"].flatten(1).sort(1, descending=True).values
    assert torch.allclose(out["score"], edited[:, :5].mean(1))
    with pytest.raises(BenchError):
        FCN8s(2, backbone="resnet18", score_rule="topk_mean:2")
    with pytest.raises(BenchError):
        FCN8s(2, backbone="resnet18", score_rule="median")


def test_deeplab_reference_aspp_and_stride():
    model = DeepLabV3Plus(2, encoder="resnet18")
    dilations = sorted({m.dilation[0] for m in model.net.decoder.aspp.modules()
                        if isinstance(m, torch.nn.Conv2d) and m.dilation[0] > 1})
    assert dilations == [6, 12, 18]
    assert model.net.encoder.output_stride == 16


def test_deeplab_encoder_depth_and_decoder_width():
    model = DeepLabV3Plus(2, encoder="resnet18", encoder_depth=4, decoder_channels=64)
    seen = []
    model.net.decoder.aspp.register_forward_pre_hook(lambda _, args: seen.append(args[0].shape))
    model.eval().logits(torch.zeros(1, 3, 64, 96))
    assert seen == [(1, 256, 4, 6)]  # stage 4 of R18 (256 channels) at 1/16, undilated
    convs = [m for m in model.net.decoder.modules() if isinstance(m, torch.nn.Conv2d) and m.groups == 1]
    assert {m.out_channels for m in convs} == {48, 64}  # the 48-channel skip projection, the rest 64 wide


def test_local_pretrained_weights(tmp_path):
    torch.manual_seed(0)
    source = DeepLabV3Plus(2, encoder="resnet18")
    path = tmp_path / "r18.pth"
    torch.save({"state_dict": {f"encoder.{k}": v for k, v in source.encoder.state_dict().items()}}, path)
    torch.manual_seed(1)
    loaded = DeepLabV3Plus(2, encoder="resnet18", pretrained=str(path))
    for k, v in source.encoder.state_dict().items():
        assert torch.equal(loaded.encoder.state_dict()[k], v)
    torch.save({"unrelated.weight": torch.zeros(3)}, tmp_path / "bad.pth")
    with pytest.raises(BenchError, match="no parameter matches"):
        DeepLabV3Plus(2, encoder="resnet18", pretrained=str(tmp_path / "bad.pth"))
    with pytest.raises(BenchError, match="download"):
        FCN8s(2, backbone="resnet18", pretrained="imagenet")


def test_cnnspot_contract_and_bce_on_the_image_label():
    torch.manual_seed(0)
    model = CNNSpot().eval()
    x = torch.randint(0, 256, (3, 3, 64, 48), dtype=torch.uint8)
    label = torch.tensor([0, 1, 1])
    data = model.data_preprocessor({"inputs": x, "label": label})
    out = model(**data)
    assert set(out) == {"score", "loss"} and out["score"].shape == (3,) and not model.localizes
    logit = model.net(data["inputs"]).squeeze(1)
    assert torch.allclose(out["score"], logit.sigmoid(), atol=1e-6)
    assert torch.allclose(out["loss"], F.binary_cross_entropy_with_logits(logit, label.float()), atol=1e-6)
    maps, scores = model.stored(out, "binary")
    assert maps is None and scores == pytest.approx(out["score"].tolist())
    assert "loss" not in model(data["inputs"])
    with pytest.raises(BenchError, match="--task binary"):
        CNNSpot(num_classes=3)


def test_cnnspot_loads_the_cnndetection_checkpoint_layout(tmp_path):
    import torchvision

    torch.manual_seed(1)
    reference = torchvision.models.resnet50(weights=None, num_classes=1).eval()
    # CNNDetection saves {"model": state_dict} from a DataParallel model, hence the prefix
    torch.save({"model": {f"module.{k}": v for k, v in reference.state_dict().items()}, "optimizer": {}},
               tmp_path / "blur_jpg_prob0.1.pth")
    model = CNNSpot(pretrained=str(tmp_path / "blur_jpg_prob0.1.pth")).eval()
    x = torch.rand(1, 3, 64, 64)
    assert torch.allclose(model.net(x), reference(x))
    with pytest.raises(BenchError, match="weights file not found"):
        CNNSpot(pretrained=str(tmp_path / "missing.pth"))


def test_gradcam_maps_have_the_input_size_and_are_zero_where_empty():
    torch.manual_seed(0)
    model = CNNSpot().eval()
    model.explain("gradcam")
    assert model.localizes and model.needs_grad
    x = model.data_preprocessor({"inputs": torch.randint(0, 256, (2, 3, 70, 52), dtype=torch.uint8)})["inputs"]
    out = model(x)
    assert out["map"].shape == (2, 70, 52) and 0 <= float(out["map"].min()) and float(out["map"].max()) <= 1
    assert torch.isclose(out["map"].flatten(1).max(1).values, torch.ones(2), atol=1e-4).all()  # normalised by the max
    with torch.no_grad():
        model.net.fc.weight.zero_()  # no gradient reaches the last block: an empty CAM
    empty = model(x)["map"]
    assert not torch.isnan(empty).any() and float(empty.abs().max()) == 0.0
    maps, _ = model.stored(model(x), "binary")
    assert maps.shape == (2, 70, 52)
    with pytest.raises(BenchError, match="offers no 'gradcam' explanation"):
        DeepLabV3Plus(2, encoder="resnet18").explain("gradcam")
    with pytest.raises(BenchError, match="offers no 'occlusion'"):
        model.explain("occlusion")


def test_a_centre_crop_map_is_put_back_where_it_came_from():
    import albumentations as A
    import numpy as np

    from benchmark.inference import place_back

    h, w = 300, 400
    rng = np.random.default_rng(0)
    original = rng.random((h, w)).astype(np.float32)
    steps = A.Compose([A.SmallestMaxSize(max_size=256), A.PadIfNeeded(min_height=224, min_width=224),
                       A.CenterCrop(height=224, width=224)])
    crop = steps(image=np.dstack([original] * 3))["image"][..., 0]  # what the network saw
    back = place_back(crop, (h, w), steps)
    assert back.shape == (h, w)
    # 300x400 -> 256x341, centre 224 crop: columns 58..282 and rows 16..240 of the resized image,
    # i.e. original columns 68..330 and rows 19..281
    scale = 300 / 256
    x0, x1, y0, y1 = (341 - 224) // 2 * scale, ((341 - 224) // 2 + 224) * scale, 16 * scale, 240 * scale
    assert back[:, : int(x0) - 2].max() == 0 and back[:, int(x1) + 2:].max() == 0  # cut away: zero
    inner = (slice(int(y0) + 3, int(y1) - 3), slice(int(x0) + 3, int(x1) - 3))
    # the same content back in place (blurred by the two resamplings of a noise image)
    assert np.corrcoef(back[inner].ravel(), original[inner].ravel())[0, 1] > 0.5
    shifted = np.roll(original, 6, axis=1)[inner]
    assert np.corrcoef(back[inner].ravel(), shifted.ravel())[0, 1] < 0.2
