"""Build and run an mmengine Runner for a segmentation baseline on a dataset adapter.

Launch: `bench train ...` on one process; the same command under
`torchrun --nproc_per_node N -m benchmark.cli.main train ...` trains with DDP (see docs/training.md).
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Sequence

import torch
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook, ParamSchedulerHook
from mmengine.logging import print_log
from mmengine.runner import set_random_seed

from benchmark.baselines.build import build_model
from benchmark.cpu_kernels import pin as pin_cpu_kernels
from benchmark.datasets.base import canonical_split
from benchmark.datasets.spec import DatasetSpec
from benchmark.datasets.torch_dataset import SegmentationDataset, build_pipeline, default_transforms
from benchmark.errors import BenchError
from benchmark.hashing import sha256_file

from .cache import MANIFEST, open_split, read_manifest
from .checkpoint import BenchRunner
from .data import SubsetWithMeta
from .generator_split import kept_indices, resolve_generators
from .hooks import FastResumeHook, RichProgressHook, SyncBuffersHook
from .val_metric import ValidationMetric, ValidationLogProcessor

RUN_FILE = "run.json"
# mmengine keys its logger and visualizer singletons by experiment name, which defaults to the
# config name plus a timestamp in seconds: two runs in one process and second would share them.
_RUN_COUNTER = itertools.count()


def distributed() -> bool:
    """torchrun (and the other launchers mmengine's 'pytorch' launcher reads) set WORLD_SIZE."""
    return "WORLD_SIZE" in os.environ


def init_cpu_distributed() -> None:
    """mmengine's 'pytorch' launcher calls torch.cuda.set_device; on CPU start gloo here instead."""
    if distributed() and not torch.cuda.is_available() and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("gloo")


def loader_workers(configured: int | None) -> int:
    """`data.num_workers`, or for None as many loader processes as this process's share of the
    cores allows (the node's cores over torchrun's LOCAL_WORLD_SIZE, one left to the process
    itself), at most 8."""
    if configured is not None:
        return configured
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(0, min(8, cores // int(os.environ.get("LOCAL_WORLD_SIZE", 1)) - 1))


def resolve_supervision(cfg: Config, spec: DatasetSpec, masks: bool) -> str | None:
    """The supervision of a model that learns from image labels or masks (`model.supervision`):
    'auto' takes what the dataset spec trains on (DOLOS setups A, B: 'weak'; C: 'full'). Config
    values written `dict(weak=..., full=...)` (a recipe's learning rate) then become the one for it."""
    supervision = cfg.model.get("supervision")
    if supervision is None:
        return None
    if supervision == "auto":
        supervision = cfg.model.supervision = "full" if masks else "weak"
    if supervision not in ("weak", "full"):
        raise BenchError(f"model.supervision must be 'weak', 'full' or 'auto', got {supervision!r}")
    if supervision == "full" and not masks:
        raise BenchError(f"{spec}: model.supervision='full' needs masks, but this dataset spec trains on image labels "
                         "only; use 'weak' or 'auto'")
    cfg.merge_from_dict({key: value[supervision] for key, value in _by_supervision(cfg.to_dict())})
    return supervision


def _by_supervision(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict) and set(value) == {"weak", "full"}:
            yield prefix + key, value
        elif isinstance(value, dict):
            yield from _by_supervision(value, f"{prefix}{key}.")


def prepare(cfg: Config, dataset: str | DatasetSpec, root: str, task: str, train_generators: Sequence[str] | None = None,
            holdout_generators: Sequence[str] | None = None, cache_dir: str | None = None,
            progress: bool = True) -> tuple[SubsetWithMeta, SubsetWithMeta | None]:
    """Datasets of a run (the dataset spec's `train` split, and its validation split for
    checkpoint selection); records the run's facts in `cfg.run` (saved inside every checkpoint)
    and sets `cfg.model.num_classes` (and `supervision`: `resolve_supervision`)."""
    spec = DatasetSpec.of(dataset)
    train_adapter = spec.build(root, "train")
    supervision = resolve_supervision(cfg, spec, train_adapter.use_masks)
    val_split = canonical_split(cfg.data.get("val_split") or "val")
    val_adapter = spec.build(root, val_split) if val_split in spec.splits(root) else None
    train_gens, holdout = resolve_generators(train_adapter.generators, train_generators, holdout_generators)
    num_classes = 2 if task == "binary" else train_adapter.num_classes
    classes = ["unedited", "edited"] if task == "binary" else ["unedited", *train_adapter.generators]
    selection = (f"best validation {cfg.checkpoint.select} ({cfg.checkpoint.rule}) on split '{val_split}', "
                 f"checked every {cfg.train_cfg.val_interval} iters"
                 + (", images with held-out editors excluded" if holdout else "")
                 if val_adapter is not None else f"no '{val_split}' split found: the last checkpoint is used")
    cfg.model.num_classes = num_classes
    cfg.run = dict(dataset=spec.name, dataset_spec=str(spec), root=str(root), task=task, classes=classes,
                   generators=list(train_adapter.generators), train_generators=train_gens,
                   holdout_generators=holdout, size=cfg.data.size, selection=selection,
                   **({"supervision": supervision} if supervision else {}))
    meta = {k: cfg.run[k] for k in ("dataset", "dataset_spec", "task", "classes", "generators", "train_generators",
                                    "holdout_generators")}
    seed = cfg.seed
    prepared = cfg.data.get("cache")
    cached: list[str] = []
    if prepared:
        if cfg.data.get("pipeline"):
            raise BenchError(f"data.cache={prepared}: a prepared cache holds images resized to data.size, for the "
                             "default pipeline; this config declares its own data.pipeline")
        held = read_manifest(prepared)["splits"]  # one line when the folder is not a cache
        # validation reads the dataset itself when the cache was made without its split
        cached = ["train"] + ([val_split] if val_adapter is not None and val_split in held else [])
        cfg.run["data_cache"] = dict(path=str(Path(prepared).resolve()), splits=cached,
                                     manifest_sha256=sha256_file(Path(prepared) / MANIFEST))

    def subset(adapter, train: bool) -> SubsetWithMeta:
        cache = Path(cache_dir) / f"editors.{adapter.split}.json" if cache_dir else None
        keep = kept_indices(adapter, holdout, cache, progress)
        if not keep:
            raise BenchError(f"{root}: no '{adapter.split}' image is free of the held-out editors "
                             f"({', '.join(holdout)})")
        steps = (cfg.data.get("pipeline") or {}).get("train" if train else "test")
        source, transforms = adapter, build_pipeline(steps, seed) if steps else None
        if adapter.split in cached:
            source = open_split(prepared, spec, adapter, cfg.data.size, progress=progress)
            transforms = default_transforms(cfg.data.size, train, seed, cfg.data.get("crop"), resized=True)
        base = SegmentationDataset(source, cfg.data.size, task, train=train, seed=seed, crop=cfg.data.get("crop"),
                                   transforms=transforms)
        return SubsetWithMeta(base, keep, meta, seed)

    return subset(train_adapter, True), (subset(val_adapter, False) if val_adapter is not None else None)


def build_runner(cfg: Config, train_set: SubsetWithMeta, val_set: SubsetWithMeta | None, work_dir: str,
                 resume: bool = False, progress: bool = True) -> BenchRunner:
    set_random_seed(cfg.seed)  # the model is built here, before the Runner seeds anything
    model = build_model(cfg.model)
    on_cuda = torch.cuda.is_available()
    workers = loader_workers(cfg.data.num_workers)
    loader = dict(num_workers=workers, persistent_workers=workers > 0, pin_memory=on_cuda,
                  collate_fn=dict(type="default_collate"))
    ckpt = cfg.checkpoint
    checkpoint_hook = CheckpointHook(by_epoch=False, interval=ckpt.interval, max_keep_ckpts=ckpt.max_keep,
                                     save_last=True, save_best=f"val/{ckpt.select}" if val_set else None,
                                     rule=ckpt.rule if val_set else None)
    val = {}
    if val_set is not None:
        # Its own generator: a loader with workers draws a base seed when its first pass starts, and
        # from the global generator that draw would make every later dropout mask, and so the
        # trained weights, depend on when validation runs.
        val = dict(val_dataloader=dict(dataset=val_set, batch_size=cfg.data.val_batch_size,
                                       sampler=dict(type="DefaultSampler", shuffle=False),
                                       generator=torch.Generator().manual_seed(cfg.seed), **loader),
                   val_evaluator=[ValidationMetric(cfg.run.task, cfg.run.classes)], val_cfg=dict(type="ValLoop"))
    if cfg.optim_wrapper.type == "AmpOptimWrapper" and not on_cuda:
        raise BenchError("--amp: mmengine's AmpOptimWrapper needs a CUDA device; drop --amp for CPU training")
    if cfg.get("sync_bn") and not on_cuda:
        raise BenchError("sync_bn: SyncBatchNorm only works on CUDA devices; drop it for CPU training")
    if distributed() and not on_cuda:
        # DDP of a CPU module takes no device_ids (mmengine passes LOCAL_RANK unless told otherwise).
        cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None, broadcast_buffers=False)
    return BenchRunner(
        model=model, work_dir=work_dir, cfg=cfg,
        train_dataloader=dict(dataset=train_set, batch_size=cfg.data.batch_size,
                              sampler=dict(type="InfiniteSampler", shuffle=True), **loader),
        train_cfg=dict(by_epoch=False, max_iters=cfg.train_cfg.max_iters,
                       val_interval=cfg.train_cfg.val_interval if val_set else cfg.train_cfg.max_iters + 1),
        optim_wrapper=cfg.optim_wrapper.to_dict(), param_scheduler=[s.to_dict() for s in cfg.param_scheduler],
        default_hooks=dict(timer=IterTimerHook(), logger=LoggerHook(interval=cfg.log_interval, log_metric_by_epoch=False),
                           param_scheduler=ParamSchedulerHook(), checkpoint=checkpoint_hook,
                           sampler_seed=DistSamplerSeedHook()),
        custom_hooks=[FastResumeHook(), SyncBuffersHook(), RichProgressHook(progress, ckpt.select)],
        log_processor=ValidationLogProcessor(by_epoch=False),
        launcher="pytorch" if distributed() else "none",
        env_cfg=dict(cudnn_benchmark=on_cuda, dist_cfg=dict(backend="nccl" if on_cuda else "gloo")),
        randomness=dict(seed=cfg.seed, diff_rank_seed=False, deterministic=False),
        resume=resume, experiment_name=f"{cfg.model.type}-{next(_RUN_COUNTER)}", **val)


def train(cfg: Config, dataset: str | DatasetSpec, root: str, task: str = "binary", work_dir: str | None = None,
          resume: bool = False, train_generators: Sequence[str] | None = None,
          holdout_generators: Sequence[str] | None = None, progress: bool = True) -> dict:
    """Train; return a summary (work dir, iterations, best and last checkpoints, validation score)."""
    # Before any tensor operation of this run (the dataset's and the model's included).
    cpu_kernels = pin_cpu_kernels(cfg.cpu_kernels)
    if cfg.cpu_kernels == "portable" and cpu_kernels != "portable":
        print_log(f"cpu_kernels='portable' did not take: this process runs torch's {cpu_kernels} CPU kernels "
                  "(portable ones need an x86-64 CPU with AVX2, chosen before the process's first tensor "
                  "operation), so the weights may differ in the last bits from another CPU's",
                  logger="current", level=logging.WARNING)
    init_cpu_distributed()
    spec = DatasetSpec.of(dataset)
    work = Path(work_dir or Path("work_dirs") / f"{cfg.model.type}_{spec.name}_{task}")
    if not resume and (work / "last_checkpoint").exists():
        raise BenchError(f"{work}: already holds a training run; pass --resume to continue it, "
                         "or pick another --work-dir (nothing is overwritten)")
    train_set, val_set = prepare(cfg, spec, root, task, train_generators, holdout_generators,
                                 cache_dir=str(work), progress=progress and is_main_process())
    threads = torch.get_num_threads()
    if cfg.get("threads"):
        # CPU kernels split their sums by thread, so a fixed count makes the float results, and
        # with them the trained weights, the same on machines with more or fewer cores.
        torch.set_num_threads(cfg.threads)
    try:
        return _train(cfg, train_set, val_set, work, resume, progress, cpu_kernels)
    finally:
        torch.set_num_threads(threads)


def _train(cfg: Config, train_set: SubsetWithMeta, val_set: SubsetWithMeta | None, work: Path, resume: bool,
           progress: bool, cpu_kernels: str) -> dict:
    runner = build_runner(cfg, train_set, val_set, str(work), resume, progress)
    # mmengine logs one line per parameter group setting; the config file already says it all.
    runner.logger.addFilter(lambda record: not record.getMessage().startswith("paramwise_options"))
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    if is_main_process():
        (work / RUN_FILE).write_text(json.dumps({**cfg.run, "model": cfg.model.to_dict(), "score_rule": model.score_rule,
                                                 "seed": cfg.seed, "max_iters": cfg.train_cfg.max_iters,
                                                 "threads": torch.get_num_threads(), "cpu_kernels": cpu_kernels,
                                                 "log_dir": runner.log_dir}, indent=2))
    start = time.perf_counter()
    runner.train()
    if model.summary():
        runner.logger.info(model.summary())
    hub = runner.message_hub
    last = (work / "last_checkpoint").read_text().strip() if (work / "last_checkpoint").exists() else None
    return dict(work_dir=str(work), iters=runner.iter, seconds=round(time.perf_counter() - start, 1),
                best_checkpoint=hub.get_info("best_ckpt"), best_score=hub.get_info("best_score"),
                last_checkpoint=last, dataset_spec=cfg.run["dataset_spec"], selection=cfg.run["selection"],
                log_dir=runner.log_dir,
                train_generators=cfg.run["train_generators"])
