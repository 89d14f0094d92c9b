"""Cross-generator protocol (DiffSeg30k leave-two-out): train only on images whose every edit
was made by a training editor; images containing any held-out editor are dropped."""
from __future__ import annotations

import os
from typing import Sequence

from benchmark.datasets.base import BaseAdapter
from benchmark.errors import BenchError
from benchmark.datasets.editors import generator_index


def resolve_generators(known: Sequence[str], train: Sequence[str] | None = None,
                       holdout: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """(training editors, held-out editors) as names from `known`, matched case-insensitively.
    Giving one side implies the other is the rest; giving both requires they split `known`."""
    by_lower = {name.lower(): name for name in known}

    def names(given: Sequence[str], flag: str) -> list[str]:
        out = []
        for g in given:
            if g.lower() not in by_lower:
                raise BenchError(f"{flag}: unknown generator '{g}' (known: {', '.join(known)})")
            out.append(by_lower[g.lower()])
        return out

    train_names = names(train, "--train-generators") if train else None
    hold_names = names(holdout, "--holdout-generators") if holdout else None
    if train_names is None and hold_names is None:
        return list(known), []
    if train_names is None:
        train_names = [g for g in known if g not in hold_names]
    elif hold_names is None:
        hold_names = [g for g in known if g not in train_names]
    elif sorted(train_names + hold_names) != sorted(known):
        raise BenchError("--train-generators and --holdout-generators must together list every generator "
                         f"exactly once (known: {', '.join(known)})")
    if not train_names:
        raise BenchError("no generator left for training")
    return [g for g in known if g in train_names], [g for g in known if g in hold_names]


def kept_indices(adapter: BaseAdapter, holdout: Sequence[str], cache: str | os.PathLike | None = None,
                 progress: bool = True) -> list[int]:
    """Positions of the adapter's samples that contain no held-out editor."""
    if not holdout:
        return list(range(len(adapter)))
    dropped = {adapter.generators.index(g) + 1 for g in holdout}
    index = generator_index(adapter, cache, progress)
    return [i for i, image_id in enumerate(adapter.ids) if not dropped & set(index[image_id])]
