"""The one scoring path of the leaderboard: a local submission (`bench leaderboard add`) or an
upload claimed by a worker goes queued -> scoring -> scored | failed. Every part (clean and each
distortion of the track) is checked against the track (fit.py) and scored against the frozen GT
pack by the one scorer; only a submission whose every part scored is stored, with its results and
its track's new ranking in one transaction. A reported row (a paper's numbers) is stored beside
them and never ranked. The organiser's phase commands live here too."""
from __future__ import annotations

import json
import os
import tempfile
import zlib
from typing import Any, Mapping, Sequence

from benchmark.errors import BenchError, DataError
from benchmark.results import result_text

from .fit import open_parts, scorable_parts
from .gtpack import GTPack
from .phases import public_view
from .ranking import ranking_estimate
from .store import Store
from .track import Reported, Track
from .values import Rejected

REPORTED_SCHEMA = "bench.reported/1"


def add_submission(store: Store, pack: GTPack, predictions: Sequence[str | os.PathLike], *, submitter: str,
                   method: str | None = None, supervision: str = "unknown", training_data: str = "unknown",
                   tier: str = "rescored", checkpoint: str | None = None, submitted_at: str | None = None,
                   workers: int | None = None, progress: bool = True) -> int:
    """Queue and score a submission of `predictions` (one folder/zip per part); return its id. A
    scoring that fails is stored as failed, and its error raised."""
    if tier == "reported":
        raise BenchError("reported numbers are added with --reported, not as predictions")
    if tier == "reproduced" and not checkpoint:
        raise BenchError("a reproduced entry names the checkpoint bench re-ran (--checkpoint)")
    store.register_track(pack.track, pack.split_hash, pack.public_ids)
    sid = store.new_submission(pack.track.name, method=method or _method_of(predictions), submitter=submitter,
                               tier=tier, supervision=supervision, training_data=training_data,
                               checkpoint=checkpoint, submitted_at=submitted_at)
    store.set_status(sid, "scoring")
    score_claimed(store, pack, sid, predictions, workers=workers, progress=progress)
    return sid


def score_claimed(store: Store, pack: GTPack, sid: int, predictions: Sequence[str | os.PathLike],
                  worker: str | None = None, workers: int | None = None, progress: bool = True) -> None:
    """Score submission `sid`, which `worker` holds as scoring (`bench leaderboard add`, or a
    server's worker after `Store.claim`), and store its results with its track's new ranking, or
    store it as failed with the reason and its error code."""
    track = pack.track
    try:
        with tempfile.TemporaryDirectory(prefix="bench-translated-") as workdir:
            scored = _score_parts(pack, predictions, store.submission(sid), workdir, workers, progress)
        texts = {part: result_text(s.result) for part, s in scored.items()}
        results = {p: json.loads(t) for p, t in texts.items()}
        statistics = {p: s.statistics for p, s in scored.items()}
        estimate = ranking_estimate(track, results, statistics)
        public = store.public_ids(track.name)
        view = None if public is None else public_view(track, results, statistics, public)
    except BenchError as exc:
        store.set_status(sid, "failed", worker, str(exc), code=getattr(exc, "code", "invalid_predictions"))
        raise
    except Exception as exc:  # a scorer bug still fails the submission instead of leaving it scoring forever
        code = "memory_limit" if isinstance(exc, MemoryError) else "internal_error"
        store.set_status(sid, "failed", worker, f"internal error: {type(exc).__name__}: {exc}", code=code)
        raise
    store.add_results(sid, {p: (texts[p], statistics_blob(scored[p].statistics)) for p in track.parts}, estimate,
                      worker=worker, public=view)


def add_reported(store: Store, pack: GTPack, reported: Reported, submitted_at: str | None = None) -> int:
    """Store a paper's numbers for the pack's track as a reported entry (never ranked)."""
    track = pack.track
    unknown = sorted(set(reported.metrics) - set(track.parts))
    if unknown:
        raise BenchError(f"reported '{reported.method}': parts {', '.join(unknown)} are not columns of track {track.name} "
                         f"({', '.join(track.parts)})")
    store.register_track(track, pack.split_hash, pack.public_ids)
    sid = store.new_submission(track.name, method=reported.method, submitter=reported.source, tier="reported",
                               supervision=reported.supervision, training_data=reported.training_data,
                               source=reported.source, submitted_at=submitted_at)
    store.set_status(sid, "scoring")
    docs = {part: {"schema": REPORTED_SCHEMA, "track": track.name, "method": reported.method, "source": reported.source,
                   "dataset_spec": track.dataset, "split": track.split, "distortion": part,
                   "metrics": dict(metrics), "note": "numbers reported by the source, not re-derived by bench"}
            for part, metrics in reported.metrics.items()}
    store.add_results(sid, {p: (json.dumps(d, indent=1) + "\n", None) for p, d in docs.items()}, None)
    return sid


def read_reported(path: str | os.PathLike) -> Reported:
    """A reported row from JSON: {"method", "source", "metrics": {part: {metric: value}},
    optional "supervision", "training_data"}."""
    from benchmark.datasets.stores import read_file

    try:
        data = json.loads(read_file(path, 1 << 20))
        metrics = {str(part): {str(k): float(v) for k, v in values.items()} for part, values in data["metrics"].items()}
        return Reported(str(data["method"]), str(data["source"]), metrics, str(data.get("supervision", "unknown")),
                        str(data.get("training_data", "unknown")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(str(path), f"not a reported row: {{\"method\", \"source\", \"metrics\": {{part: {{metric: "
                                   f"value}}}}}} ({type(exc).__name__}: {exc})") from None


def freeze_phase(store: Store, track: Track) -> int:
    """Close the track's phase (the organiser): from now on its boards rank on the whole split and
    show the stored result files; a ranking snapshot on the whole split is appended with the
    freeze (its id, 0 when nothing is scored yet). Submissions are refused until a new phase."""
    return store.freeze_phase(track.name)


def open_phase(store: Store, track: Track) -> int:
    """Start the next phase of a track whose phase was frozen; return its number."""
    return store.open_phase(track.name)


# -- scoring --------------------------------------------------------------------------------
def _method_of(predictions: Sequence[str | os.PathLike]) -> str:
    from benchmark.predictions.reader import Predictions

    try:
        return Predictions(predictions[0]).method if predictions else "unknown"
    except BenchError:
        return "unknown"  # the scoring that follows stores the submission as failed, with the reason


def _score_parts(pack: GTPack, predictions: Sequence[str | os.PathLike], submission: Mapping[str, Any],
                 workdir: str, workers: int | None, progress: bool) -> dict:
    """part -> Scored for every part of the track, or a Rejected naming what is wrong."""
    from benchmark.predictions.reader import Predictions
    from benchmark.scoring import score_targets

    track = pack.track
    opened = open_parts(pack, predictions, method=submission["method"])
    if submission["tier"] == "reproduced":
        bare = [path for path, preds in opened.values() if "checkpoint" not in preds.manifest]
        if bare:
            raise BenchError(f"{bare[0]}: a reproduced entry's predictions come from bench predict (manifest names no "
                             "checkpoint)")
    paths = scorable_parts(pack, opened, workdir)
    scored = {}
    for part in track.parts:
        path = paths[part]
        scored[part] = score_targets(path, Predictions(path), pack.spec, pack.targets(), track.scoring_policy(),
                                     workers=workers, breakdown_keys=track.breakdowns, progress=progress)
        got = scored[part].result["provenance"]["split_manifest_hash"]
        if got != pack.split_hash:
            raise Rejected("wrong_split_hash", f"{path}: scored on split contents {got[:12]}, the GT pack froze "
                                               f"{pack.split_hash[:12]} (the pack changed after freezing)")
    return scored


# -- stored statistics ----------------------------------------------------------------------
def statistics_blob(statistics: Any) -> bytes:
    """The per-image statistics a result was reduced from, compressed JSON: the Evaluator's
    counts, meta dropped (it may hold GT paths)."""
    state = statistics.state_dict()
    state["records"]["meta"] = [{} for _ in state["records"]["meta"]]
    return zlib.compress(json.dumps({"kind": "evaluator", "state": state}).encode())


def load_statistics(blob: bytes) -> Any:
    """The Evaluator `statistics_blob` stored (what every interval can be re-derived from)."""
    from benchmark.metrics.evaluator import Evaluator

    payload = json.loads(zlib.decompress(blob))
    if payload.get("kind") != "evaluator":
        raise BenchError("statistics stored by an older bench (a detection frame): score the submission again")
    return Evaluator.from_state_dict(payload["state"])
