"""Does a submission fit its track? The one set of rules, used by the server's screening at the
door and by the scoring path (`bench leaderboard add`, the workers): one predictions part per
part of the track (clean and each distortion, the manifest names it), a task the track accepts,
one method; then, against the GT pack, the dataset spec, split, generator map and ids.

A hidden track's bundle names its images by opaque names (bundle.py): `translate` writes the
submission again under the split's ids, every member read once and its SHA-256 checked, so that
the scorer, and anyone rerunning `bench score` on the translated zip, sees the ids. Every refusal
is a `Rejected` with its code."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

from benchmark.predictions.problems import PredictionsError, Problem, ProblemError
from benchmark.predictions.reader import Predictions

from .gtpack import GTPack
from .values import Rejected

Shown = Callable[[str], str]  # how a message names a file (the server: 'file K', never its job folder)


def as_is(text: str) -> str:
    return text


def open_part(pack: GTPack, path: str | os.PathLike, shown: Shown = as_is) -> Predictions:
    """The predictions at `path`, if they are one part the track takes (its distortion, a task
    the track accepts)."""
    track = pack.track
    try:
        preds = Predictions(path)
    except ProblemError as exc:
        raise Rejected(exc.code, shown(str(exc))) from None
    name = shown(str(path))
    if preds.distortion not in track.parts:
        raise Rejected("wrong_track", f"{name}: made under distortion '{preds.distortion}'; track {track.name} takes "
                                      f"{', '.join(track.parts)}")
    if preds.task not in track.accepts:
        raise Rejected("wrong_track", f"{name}: a {preds.task} submission; track {track.name} takes "
                                      f"{', '.join(track.accepts)}")
    return preds


def open_parts(pack: GTPack, paths: Sequence[str | os.PathLike], shown: Shown = as_is,
               method: str | None = None) -> dict[str, tuple[str, Predictions]]:
    """part -> (path, predictions) for a whole submission: every part of the track once, and one
    method (`method` when given)."""
    track = pack.track
    opened: dict[str, tuple[str, Predictions]] = {}
    for path in paths:
        preds = open_part(pack, path, shown)
        if preds.distortion in opened:
            raise Rejected("wrong_track", f"{shown(str(path))}: a second predictions part for '{preds.distortion}' "
                                          f"(also {shown(opened[preds.distortion][0])})")
        opened[preds.distortion] = (str(path), preds)
    missing = [p for p in track.parts if p not in opened]
    if missing:
        raise Rejected("wrong_track", f"partial submission: no predictions for {', '.join(missing)} (track "
                                      f"{track.name} scores {', '.join(track.parts)})")
    methods = sorted({preds.method for _, preds in opened.values()})
    if len(methods) > 1:
        raise Rejected("wrong_track", f"the parts name different methods: {', '.join(methods)}")
    if method is not None and methods[0] != method:
        raise Rejected("wrong_track", f"the predictions name method '{methods[0]}', the submission's is '{method}'")
    return {part: opened[part] for part in track.parts}


def check_contents(pack: GTPack, path: str, preds: Predictions, shown: Shown = as_is) -> None:
    """Refuse a part whose dataset spec, split, generator map or ids do not fit the pack, or one
    with any other structural problem, with the most specific problem's code."""
    from benchmark.predictions.validate import check_against

    check_against(preds, pack.spec, pack.split, pack.generators, [r.image_id for r in pack.records])
    if preds.problems:
        error = PredictionsError(path, preds.problems)
        raise Rejected(error.code, shown(str(error)))


def check_split_hash(pack: GTPack, split_hash: str | None) -> None:
    """Refuse predictions made on another freeze of the track (`split_hash`: the bundle's)."""
    if split_hash is not None and split_hash != pack.split_hash:
        raise Rejected("wrong_split_hash", f"made for split hash {split_hash[:12]}, track {pack.track.name} is frozen "
                                           f"at {pack.split_hash[:12]} (an old or another bundle?)")


def translate(pack: GTPack, path: str | os.PathLike, preds: Predictions, out: str | os.PathLike,
              shown: Shown = as_is) -> Path:
    """Write `preds` (named as in the pack's participant bundle) to the new zip `out` under the
    split's ids; every member is read once and its SHA-256 checked against the manifest. A name
    that is not one of the bundle's, or any structural problem, is refused with its code."""
    from benchmark.predictions.spec import RLE, SCORES
    from benchmark.predictions.writer import MemberWriter, scores_csv

    ids = pack.ids_by_name
    problems = list(preds.problems)
    unknown = sorted(n for n in {*preds.masks, *preds.rle, *preds.scores} if n not in ids)
    if unknown:
        shown_ids = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        problems.append(Problem("wrong_ids", preds.where(SCORES if not preds.maps else "masks/"),
                                f"{len(unknown)} name(s) not in the participant bundle: {shown_ids}"))
    members: list[tuple[str, bytes]] = []
    if not problems:
        try:
            for name, member in sorted(preds.masks.items()):
                members.append((f"masks/{ids[name]}.png", preds.checked(member)))
            if preds.rle:
                entries = json.loads(preds.checked(RLE))
                members.append((RLE, json.dumps([{**e, "image_id": ids[e["image_id"]]} for e in entries]).encode()))
            if preds.scores:
                members.append((SCORES, scores_csv({ids[n]: v for n, v in preds.scores.items()})))
        except ProblemError as exc:
            problems.append(exc.problem_line)
    if problems:
        error = PredictionsError(path, problems)
        raise Rejected(error.code, shown(str(error)))
    writer = MemberWriter(Path(out))
    try:
        for name, data in members:
            writer.add(name, data)
        writer.close({k: v for k, v in preds.manifest.items() if k != "files"})
    except BaseException:
        writer.abort()
        raise
    return Path(out)


def scorable_parts(pack: GTPack, opened: Mapping[str, tuple[str, Predictions]], workdir: str | os.PathLike,
                   shown: Shown = as_is) -> dict[str, Path]:
    """part -> the zip or folder to score: the submitted one, or for a pack whose bundle names
    its images opaquely, its translation to the ids in `workdir` (`part-K.zip`)."""
    if pack.ids_by_name is None:
        return {part: Path(path) for part, (path, _) in opened.items()}
    return {part: translate(pack, path, preds, Path(workdir) / f"part-{k}.zip", shown)
            for k, (part, (path, preds)) in enumerate(opened.items())}
