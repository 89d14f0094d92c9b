"""The Runner of `bench train`, whose checkpoint loading (resume, load_from) accepts its own
checkpoints on torch >= 2.6 (`benchmark.baselines.build.read_checkpoint` says why)."""
from __future__ import annotations

from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from benchmark.baselines.build import read_checkpoint


class BenchRunner(Runner):
    """mmengine Runner whose checkpoint loading (resume, load_from) accepts its own checkpoints."""

    def load_checkpoint(self, filename: str, map_location="cpu", strict: bool = False,
                        revise_keys: list = [(r"^module\.", "")]) -> dict:  # noqa: B006 (mmengine's signature)
        checkpoint = read_checkpoint(filename, map_location)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        model = self.model.module if hasattr(self.model, "module") else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        return checkpoint
