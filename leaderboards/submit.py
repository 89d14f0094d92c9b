"""The one scoring path of the leaderboard: a local submission (`bench leaderboard add`) or, in
part 2, an upload claimed by a worker goes queued -> scoring -> scored | failed. Every part
(clean and each distortion of the track) is scored against the frozen GT pack by the one scorer;
only a submission whose every part scored is stored with its results, and only then ranked. A
reported row (a paper's numbers) is stored beside them and never ranked."""
from __future__ import annotations

import json
import os
import zlib
from typing import Any, Mapping, Sequence

import numpy as np

from benchmark.errors import BenchError, DataError
from benchmark.results import result_text

from .gtpack import GTPack
from .phases import is_public, public_view
from .ranking import entry_of, part_mean, rank
from .store import Estimate, Store
from .track import Reported, Track

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
    score_submission(store, pack, sid, predictions, workers=workers, progress=progress)
    return sid


def score_submission(store: Store, pack: GTPack, sid: int, predictions: Sequence[str | os.PathLike],
                     worker: str | None = None, workers: int | None = None, progress: bool = True) -> None:
    """Claim queued submission `sid`, score its parts and store them, or store it as failed."""
    store.set_status(sid, "scoring", worker)
    score_claimed(store, pack, sid, predictions, worker, workers, progress)


def score_claimed(store: Store, pack: GTPack, sid: int, predictions: Sequence[str | os.PathLike],
                  worker: str | None = None, workers: int | None = None, progress: bool = True) -> None:
    """Score submission `sid`, which `worker` holds as scoring (`bench leaderboard add`, or a
    server's worker after `Store.claim`), and store its results and ranking, or store it as
    failed with the reason and its error code."""
    track = pack.track
    try:
        scored = _score_parts(pack, predictions, store.submission(sid), workers, progress)
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
    rerank(store, track, sid)


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
    rerank(store, track, sid)
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


def rerank(store: Store, track: Track, cause: int) -> int:
    """Append the track's ranking snapshot after submission `cause` was stored. Workers finishing
    at the same time rank one after the other: a snapshot is only appended while the scored
    submissions are still those it ranked, else it is computed again. While a public phase is
    open the snapshot ranks on the public ids only."""
    while True:
        entries = ranking_entries(store, track, public=is_public(store, track.name))
        rid = store.add_ranking(track.name, cause, rank(entries), scored={e.sid for e in entries})
        if rid is not None:
            return rid


def freeze_phase(store: Store, track: Track) -> int:
    """Close the track's public phase (the organiser, once): from now on its boards rank on the
    whole split and show the stored result files; a ranking snapshot on the whole split is
    appended with the freeze (its id, 0 when nothing is scored yet). Submissions are refused
    from then on."""
    while True:
        entries = ranking_entries(store, track, public=False)
        cause = max((e.sid for e in entries), default=None)
        rid = store.freeze_phase(track.name, cause, rank(entries), scored={e.sid for e in entries})
        if rid is not None:
            return rid


def ranking_entries(store: Store, track: Track, public: bool) -> list:
    """The track's scored submissions as ranking entries: from the public views (`public`) or
    from the stored result files and estimates. A reported row has no public view: its paper
    numbers stand as they are (never ranked either way)."""
    entries = []
    for sub in store.submissions(track.name):
        if sub["status"] != "scored":
            continue
        shown = store.public_result(sub["id"]) if public else None
        if shown is not None:
            results, estimate = shown
        else:
            results = {part: json.loads(text) for part, (_, text) in store.results(sub["id"]).items()}
            estimate = store.estimate(sub["id"])
        entries.append(entry_of(track, sub["id"], sub["tier"], sub["submitted_at"], results,
                                None if estimate is None else estimate.draws))
    return entries


# -- scoring --------------------------------------------------------------------------------
def _method_of(predictions: Sequence[str | os.PathLike]) -> str:
    from benchmark.predictions.reader import Predictions

    try:
        return Predictions(predictions[0]).method if predictions else "unknown"
    except BenchError:
        return "unknown"  # the scoring that follows stores the submission as failed, with the reason


def _score_parts(pack: GTPack, predictions: Sequence[str | os.PathLike], submission: Mapping[str, Any],
                 workers: int | None, progress: bool) -> dict:
    """part -> Scored for every part of the track, or a BenchError naming what is wrong."""
    from benchmark.predictions.reader import Predictions
    from benchmark.scoring import score_targets

    from .codes import Rejected

    track = pack.track
    opened: dict[str, tuple[str, Predictions]] = {}
    for path in predictions:
        preds = Predictions(path)
        part = preds.distortion
        if part not in track.parts:
            raise Rejected("wrong_track", f"{path}: made under distortion '{part}'; track {track.name} takes {', '.join(track.parts)}")
        if part in opened:
            raise Rejected("wrong_track", f"{path}: a second predictions part for '{part}' (also {opened[part][0]})")
        if preds.task not in track.accepts:
            raise Rejected("wrong_track", f"{path}: a {preds.task} submission; track {track.name} takes {', '.join(track.accepts)}")
        if preds.method != submission["method"]:
            raise Rejected("wrong_track", f"{path}: method '{preds.method}', the submission's is '{submission['method']}'")
        if submission["tier"] == "reproduced" and "checkpoint" not in preds.manifest:
            raise BenchError(f"{path}: a reproduced entry's predictions come from bench predict (manifest names no checkpoint)")
        opened[part] = (str(path), preds)
    missing = [p for p in track.parts if p not in opened]
    if missing:
        raise Rejected("wrong_track", f"partial submission: no predictions for {', '.join(missing)} (track {track.name} scores "
                         f"{', '.join(track.parts)})")
    scored = {}
    for part in track.parts:
        path, preds = opened[part]
        scored[part] = score_targets(path, preds, pack.spec, pack.targets(), track.scoring_policy(), workers=workers,
                                     breakdown_keys=track.breakdowns, progress=progress)
        got = scored[part].result["provenance"]["split_manifest_hash"]
        if got != pack.split_hash:
            raise Rejected("wrong_split_hash", f"{path}: scored on split contents {got[:12]}, the GT pack froze {pack.split_hash[:12]} "
                             "(the pack changed after freezing)")
    return scored


def ranking_estimate(track: Track, results: Mapping[str, Mapping], statistics: Mapping[str, Any],
                     statistic=None) -> Estimate:
    """The ranking metric with its 95 % bootstrap interval over images. Images are resampled in
    sorted-id order, with the track's seed, jointly across the parts: every entry of the track
    gets the same resamples, which pairs them for the p-values. `statistic` (default
    `part_statistic`) turns one part's statistics into (w -> metric, ids in the order of w)."""
    from benchmark.metrics.bootstrap import bootstrap_draws, percentile_interval

    stats, ids = [], None
    for part in track.rank_over:
        fn, order = (statistic or part_statistic)(statistics[part], track.rank_by)
        ids = sorted(order) if ids is None else ids
        if sorted(order) != ids:
            raise BenchError(f"part {part} was scored on other images than {track.rank_over[0]}")
        position = {image_id: i for i, image_id in enumerate(ids)}
        stats.append((fn, np.array([position[i] for i in order])))

    def combined(w: np.ndarray) -> float:
        return float(np.mean([fn(w[index]) for fn, index in stats]))

    draws = bootstrap_draws(combined, len(ids), track.bootstrap, track.seed)
    interval = percentile_interval(draws)
    return Estimate(track.rank_by, part_mean(track, results, track.rank_by), interval["low"], interval["high"],
                    track.seed, track.bootstrap, draws)


def part_statistic(statistics: Any, metric: str):
    """(w -> metric, image ids in the order of w) of one part's statistics (an Evaluator)."""
    return statistics.weighted_metric(metric), statistics.image_ids


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
