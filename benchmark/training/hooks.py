"""Training hooks: a progress display (rank 0 only) and fast resuming."""
from __future__ import annotations

import itertools

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgressHook(Hook):
    """A rich progress bar over training iterations, with the latest loss and the validation
    metric checkpoints are selected by."""

    priority = "VERY_LOW"

    def __init__(self, enabled: bool = True, metric: str = "miou"):
        self.enabled, self.metric = enabled, metric
        self.progress: Progress | None = None
        self.task = None
        self.last_val = ""

    def before_train(self, runner) -> None:
        if not (self.enabled and is_main_process()):
            return
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
        self.progress.start()
        self.task = self.progress.add_task("train", total=runner.max_iters, completed=runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.progress is not None:
            loss = float(outputs["loss"].detach()) if outputs and "loss" in outputs else float("nan")
            self.progress.update(self.task, completed=runner.iter + 1,
                                 description=f"train loss {loss:.4f}{self.last_val}")

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics and f"val/{self.metric}" in metrics:
            self.last_val = f"  val {self.metric} {metrics[f'val/{self.metric}']:.4f}"

    def after_train(self, runner) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class _Advanced:
    """Yields nothing for the first `n` calls: the batches mmengine discards when resuming."""

    def __init__(self, iterator, n: int):
        self.iterator, self.n = iterator, n

    def __iter__(self):
        return self

    def __next__(self):
        if self.n:
            self.n -= 1
            return None
        return next(self.iterator)


class FastResumeHook(Hook):
    """On resume, mmengine 0.10.7 loads and throws away every batch already trained (hours of
    decoding late in a 30k-iteration run). This moves the infinite sampler past those indices
    instead, so the resumed run sees the same sample order without reading them."""

    priority = "VERY_HIGH"

    def before_train_epoch(self, runner) -> None:
        from mmengine.dataset import InfiniteSampler
        from mmengine.runner.loops import _InfiniteDataloaderIterator

        loop = runner.train_loop
        sampler = loop.dataloader.sampler
        if loop.iter == 0 or not isinstance(sampler, InfiniteSampler):
            return
        seen = loop.iter * loop.dataloader.batch_size
        sampler.indices = itertools.islice(sampler._indices_of_rank(), seen, None)
        loop.dataloader_iterator = _Advanced(_InfiniteDataloaderIterator(loop.dataloader), loop.iter)


class SyncBuffersHook(Hook):
    """Without SyncBN every rank keeps its own BatchNorm running statistics: checkpoints hold rank
    0's while each rank validates with its own, so a distributed validation would not be the
    checkpoint's. Averaging them after every iteration, before any checkpoint or validation (BN
    buffers are tiny next to the gradients), makes all ranks, checkpoints and validation agree."""

    priority = "HIGH"

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        from mmengine.dist import all_reduce_params, is_distributed

        if is_distributed():
            all_reduce_params([b for b in runner.model.buffers() if b.is_floating_point()], op="mean")
