"""Training configs: packaged mmengine config files plus command-line overrides."""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from benchmark.cpu_kernels import CHOICES as CPU_KERNELS
from benchmark.errors import BenchError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
SQRT_FREE_OPTIMIZERS = {"SGD"}


def packaged_configs() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.py") if not p.stem.startswith("_"))


def find_config(name_or_path: str | None, baseline: str | None) -> Path:
    """A config file path, a packaged config name (with or without .py), or the baseline's
    default (its `default_config`: a plugin's names the file it ships)."""
    if name_or_path is None:
        if baseline is None:
            raise BenchError("give --baseline or --config")
        from benchmark.registry import BASELINES, lookup

        name_or_path = getattr(lookup(BASELINES, baseline), "default_config", None)
        if name_or_path is None:
            raise BenchError(f"no default config for baseline '{baseline}'; give --config "
                             f"(packaged: {', '.join(packaged_configs())})")
    path = Path(name_or_path)
    if path.is_file():
        return path
    packaged = CONFIG_DIR / f"{path.name.removesuffix('.py')}.py"
    if packaged.is_file():
        return packaged
    raise BenchError(f"{name_or_path}: no such config file or packaged config "
                     f"(packaged: {', '.join(packaged_configs())})")


def check_options(cfg: Config, options: dict) -> None:
    """Every `--cfg-options` key must name an entry of the config, or (under `model.`) a
    constructor argument of its baseline: a typo would otherwise be trained on silently."""
    from benchmark.registry import BASELINES, lookup

    tree = cfg.to_dict()
    for key in options:
        parts = key.split(".")
        if parts[0] == "model" and len(parts) == 2 and parts[1] not in cfg.model:
            known = model_arguments(lookup(BASELINES, cfg.model.type))
            if parts[1] not in known:
                raise BenchError(f"--cfg-options {key}: {cfg.model.type} takes no '{parts[1]}' "
                                 f"(arguments: {', '.join(sorted(known))})")
            continue
        node = tree
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                where = ".".join(parts[:depth]) or "the config"
                known = ", ".join(sorted(node)) if isinstance(node, dict) else "none (not a section)"
                raise BenchError(f"--cfg-options {key}: no '{part}' in {where} (keys: {known})")
            node = node[part]


def check_optimizer(cfg: Config, path: Path, options: bool = False) -> None:
    """Build the optimizer once on a dummy parameter, so that a bad value (`lr=-1`, an unknown
    argument) is one line now rather than the optimizer's traceback once the run has started."""
    import torch
    from mmengine.optim import OPTIMIZERS  # importing mmengine.optim registers torch's optimizers

    optimizer = dict(cfg.optim_wrapper.get("optimizer") or {})
    if not optimizer:
        return
    # A value written dict(weak=..., full=...) is chosen by the supervision at run time: check both.
    variants = [optimizer]
    for key, value in optimizer.items():
        if isinstance(value, dict) and set(value) == {"weak", "full"}:
            variants = [{**v, key: value[s]} for v in variants for s in ("weak", "full")]
    try:
        for variant in variants:
            # torch.empty runs no kernel: the CPU kernels stay unchosen until `train` pins them.
            OPTIMIZERS.build({**variant, "params": [torch.nn.Parameter(torch.empty(1))]})
    except (ValueError, TypeError, KeyError) as exc:
        message = exc.args[0] if exc.args else type(exc).__name__
        after = " (after --cfg-options)" if options else ""
        raise BenchError(f"{path}: optim_wrapper.optimizer {optimizer.get('type')}{after}: {message}") from None


def check_portable_optimizer(cfg: Config, path: Path) -> None:
    """Portable CPU kernels need an optimizer step without square roots (SGD) or a fused one: the
    unfused Adam-type step takes them from MKL's vector math, whose last bit depends on the CPU."""
    optimizer = cfg.optim_wrapper.get("optimizer") or {}
    kind = optimizer.get("type")
    if cfg.cpu_kernels == "portable" and kind not in SQRT_FREE_OPTIMIZERS and not optimizer.get("fused"):
        raise BenchError(f"{path}: cpu_kernels='portable' needs optim_wrapper.optimizer.fused=True for {kind}: "
                         "its unfused step takes square roots whose last bit depends on the CPU "
                         "(torch fuses Adam, AdamW, Adagrad and SGD on CPUs)")


def model_arguments(cls) -> set[str]:
    """Keyword arguments a baseline accepts, its contract's included."""
    import inspect

    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, p in inspect.signature(init).parameters.items():
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in ("self", "num_classes"):
                names.add(name)
    return names


def load_config(name_or_path: str | None, baseline: str | None = None,
                cfg_options: dict | None = None, **overrides) -> Config:
    """Load a config; `cfg_options` (dotted keys) then the named overrides win over the file.

    Named overrides (None = keep the file's): max_iters, batch_size, size, seed, amp (bf16
    autocast), channels_last, compile (torch.compile of the training step), cache (data.cache).
    """
    path = find_config(name_or_path, baseline)
    try:
        cfg = Config.fromfile(str(path))
    except Exception as exc:  # a syntax error, a missing _base_, a bad import: all user errors here
        raise BenchError(f"{path}: cannot read the config ({type(exc).__name__}: {exc})") from None
    if baseline is not None and cfg.model.type != baseline:
        raise BenchError(f"--baseline {baseline} but the config builds '{cfg.model.type}'")
    # Entries every run has, whatever its config file says: a prepared cache (`bench data
    # prepare`), torch.compile of the training step (mmengine's `compile`) and the intra-op
    # threads of the training process (None: torch's default, one per core), and its CPU kernels
    # (None: the machine's fastest; 'portable': `benchmark.cpu_kernels`).
    cfg.data.setdefault("cache", None)
    cfg.setdefault("compile", None)
    cfg.setdefault("threads", None)
    cfg.setdefault("cpu_kernels", None)
    if cfg_options:
        check_options(cfg, cfg_options)
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
        cfg.optim_wrapper.dtype = "bfloat16"  # no loss scaling needed
    if overrides.get("channels_last"):
        cfg.model.channels_last = True
    if overrides.get("compile"):
        cfg.compile = True
    if overrides.get("cache") is not None:
        cfg.data.cache = str(overrides["cache"])
    for key, value in (("train_cfg.max_iters", cfg.train_cfg.max_iters), ("data.batch_size", cfg.data.batch_size),
                       ("data.val_batch_size", cfg.data.val_batch_size), ("data.size", cfg.data.size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise BenchError(f"{key} must be a positive whole number, got {value!r}")
    threads = cfg.threads
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise BenchError(f"threads must be a positive whole number (None: one per core), got {threads!r}")
    if cfg.cpu_kernels not in CPU_KERNELS:
        raise BenchError(f"cpu_kernels must be one of {CPU_KERNELS}, got {cfg.cpu_kernels!r}")
    workers = cfg.data.get("num_workers")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 0):
        raise BenchError(f"data.num_workers must be 0 or more (None: from the cores), got {workers!r}")
    check_optimizer(cfg, path, bool(cfg_options))
    check_portable_optimizer(cfg, path)
    max_iters = cfg.train_cfg.max_iters
    # Short runs still validate and checkpoint at least at their end.
    cfg.train_cfg.val_interval = min(cfg.train_cfg.val_interval, max_iters)
    cfg.checkpoint.interval = min(cfg.checkpoint.interval, max_iters)
    # A run shorter than a scheduler's start (--max-iters below a recipe's warm-up) drops the
    # schedulers it never reaches and ends the others at its last iteration.
    cfg.param_scheduler = [s for s in cfg.param_scheduler if s.get("begin", 0) < max_iters]
    for scheduler in cfg.param_scheduler:
        scheduler["end"] = min(scheduler.get("end", max_iters), max_iters)
    return cfg
