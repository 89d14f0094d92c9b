"""Progress display for training runs (rank 0 only)."""
from __future__ import annotations

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgressHook(Hook):
    """A rich progress bar over training iterations, with the latest loss and validation mIoU."""

    priority = "VERY_LOW"

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
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
        if metrics and "val/mIoU" in metrics:
            self.last_val = f"  val mIoU {metrics['val/mIoU']:.4f}"

    def after_train(self, runner) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
