"""The `unpaired` option of every dataset spec: `cocoglide[unpaired=0]` keeps one image of each
original and its edits, drawn with seed 0, so that no edited image is shown beside the original it
was made from (their difference would be a perfect mask). Adapters say which original a record
shows or was edited from (`BaseAdapter.origin`); images of datasets that pair none are all kept.

The draw keeps the split's share of originals: of the G groups holding an original and at least
one edit, round(s * N) - (originals kept alone) show their original, where s is the split's share
of originals and N the number of images kept, and the others show one of their edits, each drawn
uniformly; which group shows what is seeded, so the same spec always selects the same images."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark.errors import BenchError

from .base import BaseAdapter


def keep_unpaired(adapter: BaseAdapter, seed: int) -> BaseAdapter:
    """Narrow `adapter` in place to one image per original (its records keep their order)."""
    if int(seed) != seed or seed < 0:
        raise BenchError(f"{adapter.name} option unpaired={seed}: give a seed, a whole number >= 0")
    groups: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    alone: list[tuple[int, bool]] = []
    for k, record in enumerate(adapter.records):
        origin = adapter.origin(record)
        (alone if origin is None else groups[origin[0]]).append((k, origin is not None and origin[1]))
    singles = alone + [members[0] for members in groups.values() if len(members) == 1]
    pairs = [members for _, members in sorted(groups.items()) if len(members) > 1]
    n_original = sum(is_original for members in groups.values() for _, is_original in members)
    share = n_original / max(len(adapter.records), 1)
    with_original = [g for g, members in enumerate(pairs) if any(o for _, o in members)]
    wanted = round(share * (len(singles) + len(pairs))) - sum(o for _, o in singles)
    rng = np.random.default_rng(int(seed))
    showing = set(rng.permutation(with_original)[:max(0, min(wanted, len(with_original)))].tolist())
    kept = {k for k, _ in singles}
    for g, members in enumerate(pairs):
        originals = [k for k, o in members if o]
        edits = [k for k, o in members if not o]
        pool = originals if (g in showing or not edits) else edits
        kept.add(pool[int(rng.integers(len(pool)))])
    adapter.records = [r for k, r in enumerate(adapter.records) if k in kept]
    return adapter
