"""Checking predictions against a dataset split (spec, split, generator map, ids), and
`validate_predictions`, which reports every problem of a submission at once."""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np

from benchmark.errors import DataError

from .problems import PredictionsError, Problem, ProblemError
from .reader import Predictions
from .spec import MANIFEST

__all__ = ["PredictionsError", "check_against", "class_lut", "validate_predictions"]


def check_against(preds: Predictions, spec, split: str, generators: list[str],
                  expected_ids: Iterable[str]) -> None:
    """Record in `preds.problems` where the predictions do not fit the dataset spec and split."""
    where = preds.where(MANIFEST)
    if preds.dataset_spec != str(spec):
        preds.problems.append(Problem("wrong_track", where, f"made for dataset spec '{preds.dataset_spec}', scored "
                                                            f"against '{spec}' (a different selection of images or truth)"))
    if preds.split != split:
        preds.problems.append(Problem("wrong_track", where, f"made for split '{preds.split}', scored against '{split}'"))
    if preds.task == "semantic" and set(preds.generators) != set(generators):
        unknown = sorted(set(preds.generators) - set(generators))
        missing = sorted(set(generators) - set(preds.generators))
        preds.problems.append(Problem("wrong_track", where, "generator map does not match the dataset's (unknown: "
                                                            f"{', '.join(unknown) or '-'}; missing: {', '.join(missing) or '-'})"))
    preds.check_ids(expected_ids)


def class_lut(preds: Predictions, generators: list[str]) -> np.ndarray | None:
    """Lookup table from the predictions' class ids to the dataset's, when only the order differs."""
    if preds.task != "semantic" or preds.generators == list(generators):
        return None
    lut = np.arange(256, dtype=np.uint8)
    for i, name in enumerate(preds.generators, 1):
        lut[i] = generators.index(name) + 1
    return lut


def validate_predictions(path: str | os.PathLike, dataset=None, root: str | None = None,
                         split: str | None = None, decode: bool = True, progress: bool = False) -> list[Problem]:
    """Every problem of the predictions at `path` as 'FILE: problem' lines with their codes
    (empty when valid).

    With `dataset` and `root`, ids, split and generator map are checked against that split;
    with `decode`, every mask is read (hash, PNG mode, class range).
    """
    from benchmark.progress import track

    try:
        preds = Predictions(path)
    except ProblemError as exc:
        return [exc.problem_line]
    except DataError as exc:
        return [Problem("invalid_predictions", exc.file, exc.problem)]
    if dataset is not None and root is not None:
        from benchmark.datasets.spec import DatasetSpec

        spec = DatasetSpec.of(dataset)
        adapter = spec.build(root, split or preds.split)
        check_against(preds, spec, adapter.split, adapter.generators, adapter.ids)
    problems = list(preds.problems)
    if decode and preds.task != "detection":
        for image_id in track(preds.ids, "validating masks", enabled=progress):
            try:
                preds.read_mask(image_id)
            except ProblemError as exc:
                problems.append(exc.problem_line)
    return problems
