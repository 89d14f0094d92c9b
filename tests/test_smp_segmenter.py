"""Any smp architecture and encoder by config: every packaged config builds a model that meets the
contract, local encoder weights (smp's and timm's layouts), one-line errors, and the image head
from the model to run.json, the predictions' score_rule and the scores."""
import json

import pytest
import torch
import torch.nn.functional as F

from benchmark.baselines import SMPSegmenter
from benchmark.baselines.contract import ContractCase
from benchmark.baselines.testing import build, check_loss, check_outputs, check_stored, make_batch
from benchmark.cli.main import main
from benchmark.errors import BenchError
from benchmark.registry import BASELINES, lookup
from benchmark.training.config import load_config, packaged_configs

NEW = ("segformer_mitb2_512", "upernet_convnext_tiny_512", "segformer_mitb0_demo_cpu", "upernet_r18_demo_cpu")


def config_cases(name: str) -> list[tuple[type, ContractCase]]:
    """The config's model as contract cases: both tasks for segmenters (binary only for the rest),
    both supervisions where the dataset spec would choose one, the baseline's own contract input
    size and local files (weights it cannot be built without)."""
    model = load_config(name).model.to_dict()
    cls = lookup(BASELINES, model.pop("type"))
    first = cls.contract_cases()[0]
    supervisions = ["weak", "full"] if model.get("supervision") == "auto" else [model.get("supervision")]
    classes = [2, 4] if "score_rule" in model else [2]
    out = []
    for supervision in supervisions:
        for num_classes in classes:
            kwargs = {**model, "num_classes": num_classes, **({"supervision": supervision} if supervision else {})}
            if kwargs.get("class_weight") is not None and num_classes != len(kwargs["class_weight"]):
                kwargs["class_weight"] = None  # the demo recipes weigh binary's two classes
            out.append((cls, ContractCase(kwargs, size=(64, 48) if first.size == (50, 38) else first.size,
                                          files=first.files)))
    return out


def test_the_new_configs_are_packaged():
    assert set(NEW) <= set(packaged_configs())


@pytest.mark.parametrize("name", packaged_configs())
def test_every_packaged_config_builds_a_model_that_meets_the_contract(name, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i, (cls, case) in enumerate(config_cases(name)):
            model = build(cls, case, tmp_path / str(i))
            batch = make_batch(case)
            check_outputs(model, case, batch)
            check_stored(model, case, batch)
            check_loss(model, case, batch)
    finally:
        torch.set_num_threads(threads)


def test_the_configs_name_the_architectures_and_recipes():
    segformer, upernet = load_config("segformer_mitb2_512"), load_config("upernet_convnext_tiny_512")
    assert (segformer.model.arch, segformer.model.encoder) == ("segformer", "mit_b2")
    assert (upernet.model.arch, upernet.model.encoder) == ("upernet", "tu-convnext_tiny")
    assert segformer.data.size == upernet.data.size == 512 and segformer.train_cfg.max_iters == 30000
    assert segformer.optim_wrapper.optimizer.lr == 6e-5 and upernet.optim_wrapper.optimizer.lr == 1e-4
    model = lookup(BASELINES, "smp")(num_classes=2, arch="segformer", encoder="mit_b0")
    assert len(model.net.encoder.out_channels) == 6 and type(model.net).__name__ == "Segformer"
    # a recipe's warm-up longer than the run ends with it
    assert [s.type for s in load_config("segformer_mitb2_512", max_iters=1000).param_scheduler] == ["LinearLR"]


def test_local_encoder_weights_in_smps_and_timms_layouts(tmp_path):
    import timm

    torch.manual_seed(0)
    source = SMPSegmenter(2, arch="segformer", encoder="mit_b0")
    torch.save({f"encoder.{k}": v for k, v in source.encoder.state_dict().items()}, tmp_path / "mit_b0.pth")
    torch.manual_seed(1)
    loaded = SMPSegmenter(2, arch="segformer", encoder="mit_b0", pretrained=str(tmp_path / "mit_b0.pth"))
    assert all(torch.equal(loaded.encoder.state_dict()[k], v) for k, v in source.encoder.state_dict().items())

    torch.manual_seed(2)
    reference = timm.create_model("resnet10t", num_classes=1000)  # a timm checkpoint, classifier included
    torch.save(reference.state_dict(), tmp_path / "resnet10t.pth")
    torch.manual_seed(3)
    model = SMPSegmenter(2, arch="upernet", encoder="tu-resnet10t", pretrained=str(tmp_path / "resnet10t.pth"))
    inner = model.encoder.model.state_dict()
    shared = [k for k in reference.state_dict() if k in inner]
    assert len(shared) > 20 and not any(k.startswith("fc.") for k in inner)
    assert all(torch.equal(inner[k], reference.state_dict()[k]) for k in shared)
    with pytest.raises(BenchError, match="nowhere.pth: pretrained weights file not found"):
        SMPSegmenter(2, arch="upernet", encoder="tu-resnet10t", pretrained=str(tmp_path / "nowhere.pth"))
    with pytest.raises(BenchError, match="would download weights"):
        SMPSegmenter(2, arch="upernet", encoder="tu-resnet10t", pretrained="imagenet")


@pytest.mark.parametrize("kwargs, message", [
    (dict(arch="segnet"), r"smp: unknown architecture 'segnet' \(smp 0\.\d+\.\d+ ships: deeplabv3, deeplabv3plus, dpt,"),
    (dict(arch="unet", encoder="resnet9000"), r"cannot build model smp unet on resnet9000 \(KeyError: Wrong encoder name"),
    (dict(arch="unet", encoder="tu-nonesuch"), r"cannot build model smp unet on tu-nonesuch \(RuntimeError: Unknown model"),
    (dict(arch="dpt", encoder="resnet18"), r"cannot build model smp dpt on resnet18 \(ValueError: Only Timm encoders"),
    (dict(arch="pan", encoder="resnet18", arch_params=dict(encoder_output_stride=8)),
     r"cannot build model smp pan on resnet18 \(ValueError: .*output stride"),
])
def test_a_model_smp_cannot_build_is_one_line(kwargs, message):
    with pytest.raises(BenchError, match=message) as caught:
        SMPSegmenter(2, **kwargs)
    assert "\n" not in str(caught.value)


def test_the_image_head_gives_the_score_and_learns_the_label():
    torch.manual_seed(0)
    model = SMPSegmenter(3, arch="unet", encoder="resnet18", image_head=True, image_head_weight=0.5).eval()
    assert model.score_rule == "image head" and model.targets == ("mask", "label")
    batch = make_batch(ContractCase(dict(num_classes=3), size=(64, 32)))
    data = model.data_preprocessor(dict(batch))
    out = model(**data)
    masks, image_logit = model.net(data["inputs"])
    assert torch.allclose(out["score"], image_logit.view(-1).sigmoid(), atol=1e-6)
    segmentation = model.loss(masks, data["mask"])
    label = F.binary_cross_entropy_with_logits(image_logit.view(-1), batch["label"].float())
    assert torch.allclose(out["loss"], segmentation + 0.5 * label, atol=1e-5)


def test_an_image_head_run_records_its_score_rule_and_scores_detection(demo_roots, tmp_path):
    root, work, out = str(demo_roots["diffseg"]), tmp_path / "work", tmp_path / "eval"
    assert main(["train", "--config", "segformer_mitb0_demo_cpu", "--dataset", "diffseg", "--root", root,
                 "--work-dir", str(work), "--max-iters", "2", "--size", "64", "--batch-size", "4", "--no-progress",
                 "--cfg-options", "model.image_head=True", "data.num_workers=0", "model.cpu_bf16=False"]) == 0
    run = json.loads((work / "run.json").read_text())
    assert run["score_rule"] == "image head" and run["model"]["image_head"] is True
    assert main(["eval", "--checkpoint", str(work), "--dataset", "diffseg", "--root", root, "--split", "val",
                 "--distortion", "clean", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results" / "clean.json").read_text())
    assert result["submission"]["score_rule"] == "image head" and result["method"] == "smp-segformer-mit_b0"
    assert 0 <= result["metrics"]["ap"] <= 1 and 0 <= result["metrics"]["auc"] <= 1
