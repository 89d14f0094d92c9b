"""Shared machinery of the demo writers: scenes, multi-turn local edits with exact label masks,
an edit plan that spreads editors and turn counts evenly, and a parallel map whose results never
depend on the number of workers."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Mapping, Sequence, TypeVar

import numpy as np

from benchmark.errors import BenchError
from benchmark.parallel import run_chunks
from benchmark.registry import EDITORS

from .masks import MIN_PIXELS, random_area, random_mask
from .photos import random_photo

T = TypeVar("T")
MIN_CHANGE = 3.0     # mean absolute change (grey levels) an edit must make inside its mask
MIN_VISIBLE = 0.25   # share of an earlier turn's pixels a later turn must leave visible
TRIES = 8


@dataclass(frozen=True)
class Turn:
    editor: str
    label: int
    mask_kind: str
    area: float      # fraction of the image this turn edited
    change: float    # mean absolute pixel change inside its mask


def make_scene(rng: np.random.Generator, size: int, square: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A scene to edit and a second, unrelated photo to splice from."""
    return random_photo(rng, size, square), random_photo(rng, size)


def edit_image(image: np.ndarray, rng: np.random.Generator, turns: Sequence[str], ids: Mapping[str, int],
               donor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[Turn]]:
    """Apply one local edit per editor name in `turns`, in order, each on the previous result.

    Returns the edited image, the uint8 label mask (0 untouched, `ids[editor]` where that editor
    made the last change) and one `Turn` per edit. A mask that would hide too much of an earlier
    turn, or an edit that barely changes its region, is redrawn, so every turn stays visible.
    """
    label = np.zeros(image.shape[:2], np.uint8)
    turns_done: list[Turn] = []
    for name in turns:
        edit = EDITORS.get(name)
        area = random_area(rng)
        for attempt in range(TRIES):
            mask, kind = random_mask(image, rng, area)
            if attempt == TRIES - 1:  # last resort: never paint over earlier turns at all
                mask &= label == 0
            if mask.sum() < MIN_PIXELS or _hides_earlier(label, mask):
                area *= 0.7
                continue
            edited = edit(image, mask, rng, donor)
            change = float(np.abs(edited.astype(np.int16) - image)[mask].mean())
            if change >= MIN_CHANGE or attempt == TRIES - 1:
                break
        else:
            continue  # no room left for this turn: the image keeps fewer turns
        image = edited
        label[mask] = ids[name]
        turns_done.append(Turn(name, ids[name], kind, float(mask.mean()), change))
    return image, label, turns_done


def _hides_earlier(label: np.ndarray, mask: np.ndarray) -> bool:
    for k in np.unique(label[mask]):
        if k == 0:
            continue
        before = int((label == k).sum())
        left = before - int((label[mask] == k).sum())
        if left < max(MIN_PIXELS, MIN_VISIBLE * before):
            return True
    return False


def plan_edits(count: int, rng: np.random.Generator, editors: Sequence[str], real_fraction: float = 0.2,
               turn_shares: Sequence[float] = (0.4, 0.35, 0.25)) -> list[tuple[str, ...]]:
    """Editor names per image; `()` marks an unedited image.

    Exactly round(real_fraction * count) images stay unedited (at least one from two images up);
    the edited ones get 1..len(turn_shares) turns in the given shares (largest remainder) with
    distinct editors, dealt from reshuffled decks so every editor is used about equally often.
    """
    real = int(round(real_fraction * count))
    real = min(max(real, 1 if count >= 2 and real_fraction > 0 else 0), count)
    edited = count - real
    exact = np.asarray(turn_shares, float) / sum(turn_shares) * edited
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: edited - counts.sum()]] += 1
    turn_counts = rng.permutation(np.repeat(np.arange(1, len(counts) + 1), counts))
    max_turns = min(len(counts), len(editors))
    deck: list[str] = []
    plans: list[tuple[str, ...]] = []
    for t in turn_counts:
        chosen: list[str] = []
        while len(chosen) < min(int(t), max_turns):
            if not any(e not in chosen for e in deck):
                deck += [editors[i] for i in rng.permutation(len(editors))]
            pick = next(e for e in deck if e not in chosen)
            deck.remove(pick)
            chosen.append(pick)
        plans.append(tuple(chosen))
    plans += [()] * real
    return [plans[i] for i in rng.permutation(count)]


def item_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of item `index`: independent of every other item and of scheduling."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def parallel_map(fn: Callable[[int, np.random.Generator], T], count: int, seed: int,
                 workers: int | None = None, description: str = "working") -> list[T]:
    """[fn(i, item_rng(seed, i)) for i in range(count)], over a process pool, in index order, so
    the results never depend on the number of workers. `fn` must be picklable (a module-level
    function or a partial of one)."""
    if workers is not None and workers < 1:
        raise BenchError(f"--workers must be at least 1, got {workers}")
    chunks = run_chunks(partial(_run_chunk, fn, seed), range(count), workers, _single_threaded, (),
                        description)
    return [result for chunk in chunks for result in chunk]


def _run_chunk(fn: Callable[[int, np.random.Generator], T], seed: int, indices: range) -> list[T]:
    return [fn(i, item_rng(seed, i)) for i in indices]


def _single_threaded() -> None:
    """Workers already use every core between them; OpenCV threads would only oversubscribe."""
    import cv2

    cv2.setNumThreads(1)
