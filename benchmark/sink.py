"""Where a model's outputs go: a child process per predictions file that encodes and writes them
(`write_predictions`) and, for `bench eval`, counts each image against its truth as it comes
(`scoring.score_image`) and writes the result file (`scoring.scored_result`). The model's
process only hands batches over: maps and masks travel as shared-memory tensors, and the
writing, encoding and counting of every distortion run beside the model, on other cores.
"""
from __future__ import annotations

import queue
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchmark.errors import BenchError


@dataclass
class Job:
    """What one sink writes: `write` are `write_predictions`' arguments but the masks and scores;
    with `result`, the predictions are scored (policy, expected ids, breakdowns, audit) and the
    result file written there."""

    write: dict
    localizes: bool
    result: str | None = None
    distortion: str = "clean"
    policy: Any = None
    expected_ids: list[str] = field(default_factory=list)
    breakdown_keys: tuple[str, ...] = ()
    audit: dict | None = None


class Sink:
    """One child process that runs a `Job` (`start`); `put` hands it a batch, `close` waits for
    the outcome: (predictions path, result dict or None). Make sinks before the model runs: they
    fork from this process (`inference.child_context`) with the scoring modules already loaded.
    The queue is bounded, so a slow sink holds the model back instead of filling memory."""

    def __init__(self, context, depth: int = 8):
        import benchmark.scoring  # noqa: F401  (loaded once here, shared by every forked sink)
        import benchmark.results  # noqa: F401
        import benchmark.predictions.validate  # noqa: F401

        self.queue = context.Queue(depth)
        self.outcome = context.Queue(1)
        self.process = context.Process(target=_main, args=(self.queue, self.outcome), daemon=True)
        self.process.start()

    def start(self, job: Job) -> None:
        self.put(("job", job))

    def put(self, message: tuple) -> None:
        while True:
            try:
                self.queue.put(message, timeout=1.0)
                return
            except queue.Full:
                self._check_alive()

    def _check_alive(self) -> None:
        if not self.process.is_alive():
            self._raise(self._outcome(timeout=1.0))

    def _outcome(self, timeout: float | None = None):
        try:
            return self.outcome.get(timeout=timeout)
        except queue.Empty:
            return ("error", f"the writer process ended with code {self.process.exitcode}", None)

    @staticmethod
    def _raise(outcome) -> None:
        if outcome[0] == "error":
            _, message, kind = outcome
            raise BenchError(message) if kind == "bench" else RuntimeError(message)

    def close(self, digests: list[tuple[str, str]] | None = None) -> tuple[Path, dict | None]:
        self.put(("end", digests))
        while True:
            try:
                outcome = self.outcome.get(timeout=1.0)
                break
            except queue.Empty:
                self._check_alive()
        self.process.join()
        self._raise(outcome)
        return outcome[1], outcome[2]

    def abandon(self) -> None:
        """Stop the child after a failure in the model's process (its output stays incomplete)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def batch_message(image_ids: list[str], maps, scores: list[float], targets: dict | None) -> tuple:
    """A batch for `Sink.put`: maps as one N×h×w tensor in shared memory when they share a size
    (a list of arrays otherwise, None for image scores only)."""
    import torch

    if isinstance(maps, np.ndarray):
        maps = torch.from_numpy(maps)
    return ("batch", list(image_ids), maps, [float(s) for s in scores], targets)


def _main(inbox, outcome) -> None:
    import cv2

    cv2.setNumThreads(1)  # as many sinks as distortions share the cores with the model
    kind, job = inbox.get()
    if kind != "job":  # closed before it was given work
        return
    try:
        outcome.put(("done", *_run(job, inbox)))
    except BenchError as exc:
        outcome.put(("error", str(exc), "bench"))
    except BaseException:
        outcome.put(("error", traceback.format_exc(), "other"))


def _run(job: Job, inbox) -> tuple[Path, dict | None]:
    from benchmark.predictions.codecs import to_mask_bytes
    from benchmark.predictions.writer import write_predictions
    from benchmark.scoring import make_evaluator, score_image

    task = job.write["task"]
    counts = None
    if job.result is not None:
        counts = make_evaluator(task, list(job.write["generators"]), job.policy)
    scores: dict[str, float] = {}
    end: list = []

    def images() -> Iterator[tuple[str, np.ndarray]]:
        while True:
            message = inbox.get()
            if message[0] == "end":
                end.append(message[1])
                return
            _, ids, maps, batch_scores, targets = message
            for i, image_id in enumerate(ids):
                scores[image_id] = batch_scores[i]
                stored = None if maps is None else to_mask_bytes(task, np.asarray(maps[i]))
                if counts is not None:
                    score_image(counts, task, _target(targets, i), stored, batch_scores[i], job.policy)
                if stored is not None:
                    yield image_id, stored

    args = dict(job.write)
    out = args.pop("out")
    if job.localizes:
        # The writer stores scores.csv after the last mask, when `scores` is complete.
        path = write_predictions(out, masks=images(), scores=scores, **args)
    else:
        for _ in images():
            pass
        path = write_predictions(out, scores=scores, **args)
    if counts is None:
        return Path(path), None
    return Path(path), _score(job, Path(path), counts, end[0])


def _target(targets: dict, i: int):
    from benchmark.datasets.sample import Target

    start, stop = targets["offsets"][i], targets["offsets"][i + 1]
    mask = targets["masks"][start:stop].numpy().reshape(targets["shapes"][i])
    return Target(targets["image_ids"][i], mask, targets["labels"][i], targets["generators"][i], targets["metas"][i])


def _score(job: Job, path: Path, counts, digests: list[tuple[str, str]]) -> dict:
    """The result of the predictions just written, as `bench score` makes it of the file."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.predictions.problems import PredictionsError
    from benchmark.predictions.reader import Predictions
    from benchmark.predictions.validate import check_against
    from benchmark.results import write_result
    from benchmark.scoring import scored_result

    spec = DatasetSpec.of(job.write["dataset"])
    preds = Predictions(path)  # what a result records of the submission is read from the file itself
    check_against(preds, spec, job.write["split"], list(job.write["generators"]), job.expected_ids)
    if preds.problems:
        raise PredictionsError(path, preds.problems)
    result = scored_result(spec, job.write["split"], preds.task, preds.method, job.distortion, job.policy,
                           preds.describe(), counts, digests, job.breakdown_keys).result
    if job.audit is not None:
        result["audit"] = job.audit
        result["warnings"].append(f"the file encoding alone separates real from edited images of this split "
                                  f"with {job.audit['format_only_balanced_accuracy']:.0%} balanced accuracy")
    write_result(result, job.result)
    return result


def batch_targets(items: list[dict]) -> dict:
    """The truth of a batch's images in one message: masks flattened into one tensor (one
    shared-memory block per batch, whatever the images' sizes), the rest as lists."""
    import torch

    masks = [np.ascontiguousarray(item["target"].mask).ravel() for item in items]
    offsets = np.cumsum([0] + [m.size for m in masks]).tolist()
    return {"masks": torch.from_numpy(np.concatenate(masks)), "offsets": offsets,
            "shapes": [item["target"].mask.shape for item in items],
            "image_ids": [item["target"].image_id for item in items],
            "labels": [item["target"].label for item in items],
            "generators": [item["target"].generators for item in items],
            "metas": [item["target"].meta for item in items],
            "digests": [item["digest"] for item in items]}
