"""Training configs: packaged mmengine config files plus command-line overrides."""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from benchmark.errors import BenchError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIGS = {"deeplabv3plus": "deeplabv3plus_r50_512", "fcn8s": "fcn8s_vgg16_512"}


def packaged_configs() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.py") if not p.stem.startswith("_"))


def find_config(name_or_path: str | None, baseline: str | None) -> Path:
    """A config file path, a packaged config name (with or without .py), or the baseline's default."""
    if name_or_path is None:
        if baseline is None:
            raise BenchError("give --baseline or --config")
        if baseline not in DEFAULT_CONFIGS:
            raise BenchError(f"no default config for baseline '{baseline}'; give --config "
                             f"(packaged: {', '.join(packaged_configs())})")
        name_or_path = DEFAULT_CONFIGS[baseline]
    path = Path(name_or_path)
    if path.is_file():
        return path
    packaged = CONFIG_DIR / f"{path.name.removesuffix('.py')}.py"
    if packaged.is_file():
        return packaged
    raise BenchError(f"{name_or_path}: no such config file or packaged config "
                     f"(packaged: {', '.join(packaged_configs())})")


def load_config(name_or_path: str | None, baseline: str | None = None,
                cfg_options: dict | None = None, **overrides) -> Config:
    """Load a config; `cfg_options` (dotted keys) then the named overrides win over the file.

    Named overrides (None = keep the file's): max_iters, batch_size, size, seed, amp.
    """
    cfg = Config.fromfile(str(find_config(name_or_path, baseline)))
    if baseline is not None and cfg.model.type != baseline:
        raise BenchError(f"--baseline {baseline} but the config builds '{cfg.model.type}'")
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if overrides.get("max_iters") is not None:
        cfg.train_cfg.max_iters = int(overrides["max_iters"])
    if overrides.get("batch_size") is not None:
        cfg.data.batch_size = int(overrides["batch_size"])
    if overrides.get("size") is not None:
        cfg.data.size = int(overrides["size"])
    if overrides.get("seed") is not None:
        cfg.seed = int(overrides["seed"])
    if overrides.get("amp"):
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper.dtype = "bfloat16"  # no loss scaling needed, and CPUs support it
    max_iters = cfg.train_cfg.max_iters
    if max_iters < 1:
        raise BenchError(f"max_iters must be positive, got {max_iters}")
    # Short runs still validate and checkpoint at least at their end.
    cfg.train_cfg.val_interval = min(cfg.train_cfg.val_interval, max_iters)
    cfg.checkpoint.interval = min(cfg.checkpoint.interval, max_iters)
    for scheduler in cfg.param_scheduler:
        scheduler.setdefault("end", max_iters)
    return cfg
