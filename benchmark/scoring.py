"""`bench score`: predictions folder/zip + dataset split -> result JSON.

The truth is the adapter's target (`BaseAdapter.load_target`: mask, label, generators, meta; no
image decoded): labels are never re-derived from pixels, and images without a usable mask count
for detection only. Images are split into chunks scored by a pool of processes, each chunk into
its own Evaluator whose state is merged at the end, so reading, decoding and counting overlap on
every core.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import cv2
import numpy as np

from benchmark.datasets.sample import Target
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import DataError
from benchmark.hashing import sha256_hex
from benchmark.outputs import new_file
from benchmark.parallel import run_chunks
from benchmark.predictions.problems import problem_line

_WORKER: dict[str, Any] = {}


def prediction_at(stored: np.ndarray, task: str, shape: tuple[int, int],
                  lut: np.ndarray | None = None, upsample: str = "bilinear") -> np.ndarray:
    """A stored prediction map at the GT size: binary -> float32 P(edited), resized by the policy's
    `upsample` rule on the probabilities (the evaluator thresholds afterwards); semantic -> uint8
    class ids, nearest."""
    h, w = shape
    if task == "binary":
        prob = stored.astype(np.float32) * np.float32(1 / 255)
        if prob.shape == (h, w):
            return prob
        if upsample == "pil_bicubic":
            from PIL import Image

            resized = np.asarray(Image.fromarray(prob, mode="F").resize((w, h), Image.Resampling.BICUBIC))
        else:
            mode = cv2.INTER_LINEAR if upsample == "bilinear" else cv2.INTER_NEAREST
            resized = cv2.resize(prob, (w, h), interpolation=mode)
        return np.clip(resized, 0.0, 1.0)
    ids = lut[stored] if lut is not None else stored
    if ids.shape != (h, w):
        ids = cv2.resize(ids, (w, h), interpolation=cv2.INTER_NEAREST)
    return ids


def target_digest(target: Target) -> str:
    """Hash of everything a score depends on in the truth: label, generators and the label map."""
    head = f"{target.label}|{list(target.generators)}|{target.mask.shape}".encode()
    return sha256_hex(head + target.mask.tobytes())


def split_hash(digests: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over the sorted image ids and their targets: results on different splits (or on a
    split whose masks or labels changed) get different hashes."""
    return sha256_hex("".join(f"{image_id}\t{digest}\n" for image_id, digest in sorted(digests)))


def make_evaluator(task: str, generators: list[str], policy):
    """The evaluator of a task: binary scores 'edited' and reads generators from the GT ids
    (attribution tables); semantic scores one class per generator; detection scores images."""
    from benchmark.metrics.evaluator import Evaluator

    if task == "semantic":
        return Evaluator("semantic", ["unedited", *generators], policy)
    return Evaluator(task, ["unedited", "edited"], policy, generator_names=list(generators))


def _init_worker(adapter, preds, policy, lut) -> None:
    cv2.setNumThreads(1)
    _WORKER.update(adapter=adapter, preds=preds, policy=policy, lut=lut)


def _score_chunk(items: Sequence[tuple[str, Any]]) -> tuple[dict, list[str], list[tuple[str, str]]]:
    """Score one chunk into an Evaluator state; the problems found and the targets' digests."""
    w = _WORKER
    adapter, preds, policy = w["adapter"], w["preds"], w["policy"]
    ev = make_evaluator(preds.task, adapter.generators, policy)
    problems, digests = [], []
    for image_id, record in items:
        try:
            target = adapter.load_target(record)
            stored = preds.read_mask(image_id, target.mask.shape) if preds.maps else None
            score_image(ev, preds.task, target, stored, preds.scores.get(image_id), policy, w["lut"])
        except DataError as exc:
            problems.append(problem_line(exc))
            continue
        digests.append((image_id, target_digest(target)))
    return ev.state_dict(), problems, digests


def score_image(ev, task: str, target: Target, stored: np.ndarray | None, score: float | None, policy,
                lut: np.ndarray | None = None) -> None:
    """Count one image's stored prediction (None for image scores only) against its target into
    the Evaluator `ev`. `bench score` reads `stored` from the predictions; `bench eval` hands it
    over as the model makes it, so that both count alike."""
    pred = None if stored is None else prediction_at(stored, task, target.mask.shape, lut, policy.upsample)
    ev.add(target.image_id, target.mask, pred, score=score, meta=target.meta, label=target.label)


@dataclass
class Scored:
    """A result and the per-image statistics it was reduced from: the Evaluator, whose weighted
    metrics the bootstrap and the leaderboard's public views resample."""

    result: dict
    statistics: Any


def score_predictions(pred_path: str | os.PathLike, dataset: str | DatasetSpec, root: str | os.PathLike,
                      split: str | None = None, policy=None, distortion: str | None = None,
                      workers: int | None = None, breakdown_keys: Sequence[str] = (),
                      per_image_csv: str | os.PathLike | None = None, progress: bool = True) -> dict:
    """Score a predictions folder/zip against `split` (default: the manifest's) of the dataset
    spec `dataset` at `root`; return the result dict (`bench.result/2`). Every problem of the
    predictions is gathered, then raised at once as a PredictionsError. `distortion` names the
    distortion the predictions were made under (default: the manifest's, else clean); `workers`
    <= 1 scores in this process."""
    from benchmark.predictions.reader import Predictions

    spec = DatasetSpec.of(dataset)
    preds = Predictions(pred_path)
    adapter = spec.build(root, split if split is not None else preds.split)
    return score_targets(pred_path, preds, spec, adapter, policy, distortion, workers, breakdown_keys,
                         per_image_csv, progress).result


def score_targets(pred_path: str | os.PathLike, preds, spec: DatasetSpec, adapter, policy=None,
                  distortion: str | None = None, workers: int | None = None, breakdown_keys: Sequence[str] = (),
                  per_image_csv: str | os.PathLike | None = None, progress: bool = True) -> Scored:
    """`score_predictions` against any source of targets for `spec`: the dataset's adapter, or a
    stand-in that serves the same records and targets without the dataset (a leaderboard's
    frozen ground truth), so that both give the same result."""
    from benchmark.distortions.base import canonical
    from benchmark.metrics.evaluator import Evaluator
    from benchmark.metrics.policy import Policy
    from benchmark.predictions.problems import PredictionsError, Problem
    from benchmark.predictions.validate import check_against, class_lut

    policy = policy or Policy()
    check_against(preds, spec, adapter.split, adapter.generators, adapter.ids)
    manifest_distortion = preds.manifest.get("distortion")
    if distortion is not None and manifest_distortion is not None and canonical(distortion) != preds.distortion:
        preds.problems.append(Problem("wrong_track", preds.where("manifest.json"),
                                      f"made under distortion '{manifest_distortion}', scored as '{distortion}'"))
    if preds.task == "semantic" and set(preds.generators) != set(adapter.generators):
        raise PredictionsError(pred_path, preds.problems)  # class ids cannot be mapped: nothing to decode
    distortion = canonical(distortion) if distortion is not None else preds.distortion

    # With structural problems (missing/extra ids, bad scores) the images present are still
    # decoded, so that one run reports every problem.
    init = (adapter, preds, policy, class_lut(preds, adapter.generators))
    # A map submission is scored on the images it has maps for (the rest are reported missing);
    # an image-score submission on the whole split.
    present = set(preds.ids) if preds.maps else None
    items = [(r.image_id, r) for r in adapter.records if present is None or r.image_id in present]
    total = make_evaluator(preds.task, adapter.generators, policy)
    problems: list[str] = []
    digests: list[tuple[str, str]] = []
    for state, chunk_problems, chunk_digests in run_chunks(_score_chunk, items, workers, _init_worker, init,
                                                           f"scoring {len(items)} images", progress):
        total.merge(Evaluator.from_state_dict(state))
        problems += chunk_problems
        digests += chunk_digests
    if preds.problems or problems:
        raise PredictionsError(pred_path, preds.problems + sorted(problems))

    return scored_result(spec, adapter.split, preds.task, preds.method, distortion, policy, preds.describe(),
                         total, digests, breakdown_keys, per_image_csv)


def scored_result(spec: DatasetSpec, split: str, task: str, method: str, distortion: str, policy,
                  submission: dict, ev, digests: list[tuple[str, str]], breakdown_keys: Sequence[str] = (),
                  per_image_csv: str | os.PathLike | None = None) -> Scored:
    """The result of the images counted into the Evaluator `ev` (`score_image`), whose target
    digests are `digests`: metrics, breakdowns, warnings and provenance."""
    from benchmark.distortions.base import describe_distortion
    from benchmark.results import build_result, provenance

    res = ev.compute(breakdown_keys=list(breakdown_keys))
    if per_image_csv is not None:
        _write_per_image(res.per_image, Path(per_image_csv))
    result = build_result(dataset=spec, split=split, task=task, method=method,
                          distortion=distortion, policy=policy.to_json(),
                          provenance=provenance(describe_distortion(distortion), split_hash(digests)),
                          submission=submission, metrics=res.metrics, breakdowns=res.breakdowns,
                          n_images=len(digests), warnings=res.warnings)
    return Scored(result, ev)


def _write_per_image(frame, path: Path) -> None:
    path = new_file(path)
    sort = "image_id" if "image_id" in frame.columns else None
    (frame.sort_values(sort) if sort else frame.sort_index()).to_csv(path, index=sort is None)
