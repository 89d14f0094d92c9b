"""Config finding, overrides and schedule rescaling."""
import pytest

from benchmark.errors import BenchError
from benchmark.training.config import CONFIG_DIR, find_config, load_config, packaged_configs


def test_default_config_is_the_paper_setting():
    cfg = load_config(None, "deeplabv3plus")
    assert cfg.model.type == "deeplabv3plus" and cfg.model.encoder == "resnet50"
    assert tuple(cfg.model.atrous_rates) == (6, 12, 18) and cfg.model.output_stride == 16
    assert cfg.optim_wrapper.optimizer.lr == 0.01 and cfg.optim_wrapper.optimizer.momentum == 0.9
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys["encoder."]["lr_mult"] == 0.1
    assert cfg.data.size == 512 and cfg.data.batch_size == 16 and cfg.train_cfg.max_iters == 30000
    assert cfg.param_scheduler[0].end == 30000


def test_inherited_fcn_config():
    cfg = load_config(None, "fcn8s")
    assert cfg.model.type == "fcn8s" and "encoder" not in cfg.model  # _delete_ dropped deeplab keys
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4 and cfg.data.size == 512


def test_overrides_rescale_the_run():
    cfg = load_config("deeplabv3plus_r50_512.py", None, {"model.encoder": "resnet18", "data.num_workers": 0},
                      max_iters=30, batch_size=2, size=96, seed=7, amp=True)
    assert cfg.model.encoder == "resnet18" and cfg.data.num_workers == 0
    assert (cfg.train_cfg.max_iters, cfg.data.batch_size, cfg.data.size, cfg.seed) == (30, 2, 96, 7)
    assert cfg.param_scheduler[0].end == 30  # poly decays over the shortened run
    assert cfg.train_cfg.val_interval == 30 and cfg.checkpoint.interval == 30
    assert cfg.optim_wrapper.type == "AmpOptimWrapper"


def test_config_errors(tmp_path):
    with pytest.raises(BenchError, match="no such config"):
        find_config("nope", None)
    with pytest.raises(BenchError, match="builds 'deeplabv3plus'"):
        load_config("deeplabv3plus_r50_512", "fcn8s")
    with pytest.raises(BenchError, match="positive"):
        load_config(None, "fcn8s", max_iters=0)
    with pytest.raises(BenchError, match="threads must be a positive whole number"):
        load_config(None, "fcn8s", {"threads": 0})
    assert load_config(None, "fcn8s").threads is None
    own = tmp_path / "mine.py"
    own.write_text(f"_base_ = ['{CONFIG_DIR / 'fcn8s_vgg16_512.py'}']\nmodel = dict(backbone='resnet18')\n")
    assert load_config(str(own)).model.backbone == "resnet18"
    assert "deeplabv3plus_r50_512" in packaged_configs()
