"""The server's JSON API, version 1, under /api/v1:

    GET  /api/v1                                    the API's version, caps, tracks and queue length
    GET  /api/v1/tracks                             registered tracks (parts, split hash, tasks)
    POST /api/v1/tracks/{track}/submissions         upload (Bearer token; multipart: files, one per
                                                    part, and optional method, supervision,
                                                    training_data, split_hash) -> 202 {submission}
    GET  /api/v1/submissions/{id}                   a team's own submission: status, code, score
    GET  /api/v1/tracks/{track}/board[.json|.csv]   the board
    GET  /api/v1/entries/{id}                       a scored entry's published results

Every error is `{"error": CODE, "message": "one line"}` with the code's HTTP status
(values.HTTP_STATUS). Database and screening work runs in the thread pool; no request waits for a
scoring."""
from __future__ import annotations

import json
import math
import shutil
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse as _JSONResponse
from starlette.responses import Response
from starlette.routing import Route

from benchmark.errors import BenchError

from ..protocol import API_VERSION, PREFIX, submission_path
from ..teams import authenticate, day_start
from ..values import PhaseClosed, Rejected


def routes() -> list[Route]:
    return [Route(PREFIX, info), Route(f"{PREFIX}/tracks", track_list),
            Route(f"{PREFIX}/tracks/{{track}}/submissions", upload, methods=["POST"]),
            Route(f"{PREFIX}/submissions/{{sid:int}}", poll),
            Route(f"{PREFIX}/tracks/{{track}}/board", board_json),
            Route(f"{PREFIX}/tracks/{{track}}/board.json", board_json),
            Route(f"{PREFIX}/tracks/{{track}}/board.csv", board_csv),
            Route(f"{PREFIX}/entries/{{sid:int}}", entry)]


def error_response(exc: Rejected) -> JSONResponse:
    headers = {}
    if exc.status == 429 and exc.extra.get("reset_at"):
        from datetime import datetime, timezone

        reset = datetime.strptime(exc.extra["reset_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        headers["Retry-After"] = str(max(int((reset - datetime.now(timezone.utc)).total_seconds()), 1))
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(exc.body(), exc.status, headers=headers)


async def info(request: Request) -> JSONResponse:
    state = request.app.state.board
    # The queue's length is public: a participant can tell a slow board from a stuck submission.
    queued = await run_in_threadpool(state.store.queued)
    return JSONResponse({"api": API_VERSION, "tracks": sorted(state.packs), "queued": queued,
                         "caps": {"upload_bytes": state.caps.upload_bytes, "archive_bytes": state.caps.archive_bytes,
                                  "files": state.caps.files}})


async def track_list(request: Request) -> JSONResponse:
    state = request.app.state.board
    return JSONResponse({"tracks": [{"name": name, "title": p.track.title, "parts": list(p.track.parts),
                                     "tasks": list(p.track.accepts), "split_manifest_hash": p.split_hash,
                                     "rank_by": p.track.rank_by}
                                    for name, p in sorted(state.packs.items())]})


async def upload(request: Request) -> JSONResponse:
    from .uploads import receive

    state = request.app.state.board
    track = request.path_params["track"]
    if track not in state.packs:
        raise Rejected("unknown_track", f"no track '{track}' on this server ({', '.join(sorted(state.packs))})")
    team = await run_in_threadpool(authenticate, state.store, request.headers.get("authorization"))
    frozen = await run_in_threadpool(state.store.frozen_at, track)
    if frozen is not None:  # the early answer, before a byte of the body is read
        raise PhaseClosed(track, frozen)
    await run_in_threadpool(state.store.check_quota, team["id"], track, day_start())
    job_dir = state.jobs / uuid.uuid4().hex
    job_dir.mkdir(parents=True)
    try:
        received = await receive(request.stream(), request.headers.get("content-type", ""), job_dir,
                                 state.caps.upload_bytes, state.caps.files)
        if not received.files:
            raise Rejected("no_files", "the upload holds no predictions file (one zip per part of the track)")
        fields = received.fields
        method = await run_in_threadpool(state.screeners[track].check, received.files, state.caps,
                                         fields.get("split_hash") or None)
        if fields.get("method") and fields["method"] != method:
            raise Rejected("bad_request", f"method '{fields['method']}' given, the predictions name '{method}'")
        sid = await run_in_threadpool(
            state.store.new_upload, track, team["id"], str(job_dir), day_start(), method=method,
            supervision=fields.get("supervision") or "unknown", training_data=fields.get("training_data") or "unknown")
    except BaseException:
        # A refused upload (over a limit, the phase frozen while it was received...) leaves nothing behind.
        shutil.rmtree(job_dir, ignore_errors=True)
        raise
    return JSONResponse({"submission": sid, "status": "queued", "track": track, "method": method,
                         "status_url": submission_path(sid)}, 202)


async def poll(request: Request) -> JSONResponse:
    state = request.app.state.board
    team = await run_in_threadpool(authenticate, state.store, request.headers.get("authorization"))
    return JSONResponse(await run_in_threadpool(submission_status, state.store, request.path_params["sid"], team))


def submission_status(store, sid: int, team: dict) -> dict[str, Any]:
    """What a team may read of its own submission (another team's reads as unknown)."""
    try:
        sub = store.submission(sid)
    except BenchError:
        sub = None
    if sub is None or sub["team_id"] != team["id"]:
        raise Rejected("unknown_submission", f"no submission {sid} of team {team['name']}")
    job = sub["job_dir"] or ""
    out = {"submission": sid, "track": sub["track"], "method": sub["method"], "status": sub["status"],
           "submitted_at": sub["submitted_at"], "status_at": sub["status_at"],
           "history": [{"status": e["status"], "at": e["at"]} for e in store.history(sid)]}
    if sub["status"] == "failed":
        # The reader names files by their path in the job folder: the participant sent 'file K'.
        message = (sub["error"] or "").replace(f"{job}/", "").splitlines()[0] if sub["error"] else ""
        out |= {"error": sub["error_code"] or "invalid_predictions", "message": message}
    if sub["status"] == "scored":
        public = store.is_public(sub["track"])
        # While the phase is open a team learns its score on the public ids only, like everyone.
        estimate = store.public_result(sid)[1] if public else store.estimate(sid)
        position = store.latest_ranking(sub["track"]).get(sid, (None, None))
        out |= {"metric": estimate.metric, "score": estimate.value, "ci95": [estimate.low, estimate.high],
                "rank": position[0], "p_vs_first": position[1], "entry_url": f"/entries/{sid}"}
        if public:
            out["phase"] = "public"
        else:
            out["result_sha256"] = {part: sha for part, (sha, _) in store.results(sid).items()}
    return out


async def board_json(request: Request) -> Response:
    board = await _board(request)
    return JSONResponse(board.to_json())


async def board_csv(request: Request) -> Response:
    board = await _board(request)
    return Response(board.to_csv(), media_type="text/csv; charset=utf-8")


async def entry(request: Request) -> JSONResponse:
    state = request.app.state.board
    sid = request.path_params["sid"]
    found = await run_in_threadpool(find_entry, state, sid)
    board, row = found
    return JSONResponse({"submission": sid, "track": board.track.name, "method": row.method, "rank": row.position,
                         "tier": row.tier, "score": row.values.get("score"), "ci95": [row.low, row.high],
                         "results": {part: {"sha256": sha, "result": board.track.public_result(result)}
                                     for part, (sha, result) in row.results.items()}})


async def _board(request: Request):
    from ..board import load_board

    state = request.app.state.board
    track = request.path_params["track"]
    if track not in state.packs:
        raise Rejected("unknown_track", f"no track '{track}' on this server")
    return await run_in_threadpool(load_board, state.store, track)


def find_entry(state, sid: int):
    """(board, row) of scored entry `sid`, or a Rejected."""
    from ..board import load_board

    try:
        sub = state.store.submission(sid)
    except BenchError:
        sub = None
    if sub is None or sub["status"] != "scored" or sub["track"] not in state.packs:
        raise Rejected("not_found", f"no scored entry {sid}")
    board = load_board(state.store, sub["track"])
    return board, next(r for r in board.rows if r.sid == sid)


class JSONResponse(_JSONResponse):
    """JSON with NaN and infinities as null: a result may hold an undefined metric, and strict
    JSON readers refuse NaN."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), ensure_ascii=False, separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
