"""The submission server (`bench leaderboard serve`): a Starlette app under uvicorn serving the
live board and entry pages (the static site's templates, sorted and filtered by query parameters
instead of pre-rendered files) and the JSON API (api.py). Uploads are screened and queued here;
scoring happens in `bench leaderboard worker` processes, so no request ever waits for one.
Requests are logged by uvicorn as method, path and status: a token travels in the Authorization
header only, which is never logged. Every answer says `X-Content-Type-Options: nosniff` and
`Content-Security-Policy: default-src 'self'` (the pages load nothing from elsewhere and run no
inline script or style)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from benchmark.errors import BenchError

from ..board import DEFAULT_SORT, FILTERS
from ..gtpack import GTPack
from ..store import Store
from ..values import Rejected
from .screening import Caps, Screener

log = logging.getLogger("bench.leaderboard.server")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", b"default-src 'self'")]


@dataclass
class BoardState:
    store: Store
    packs: dict[str, GTPack]
    screeners: dict[str, Screener]
    jobs: Path
    caps: Caps
    env: Any = None  # the Jinja2 environment, built once: templates compile on first use only


class LiveLinks:
    """Links between the live server's pages: sorting and filtering are query parameters."""

    def board(self, track: str, sort: tuple[str, str] = DEFAULT_SORT, filt: tuple[str, str] | None = None) -> str:
        query = {} if sort == DEFAULT_SORT else {"sort": sort[0], "dir": sort[1]}
        if filt:
            query[filt[0]] = filt[1]
        return f"/tracks/{track}/" + (f"?{urlencode(query)}" if query else "")

    def entry(self, sid: int) -> str:
        return f"/entries/{sid}"

    def result(self, sid: int, part: str) -> str:
        return f"/entries/{sid}/{part}.json"

    def download(self, track: str, name: str) -> str:
        return f"/api/v1/tracks/{track}/{name}"

    def asset(self, name: str) -> str:
        return f"/static/{name}"


def default_jobs(store: str) -> Path:
    """Where uploads go unless told: beside a SQLite store, else in the working folder."""
    return Path(f"{store}.jobs") if "://" not in str(store) else Path("bench-jobs")


def create_app(store: str | os.PathLike, gt_dirs: Sequence[str | os.PathLike], jobs: str | os.PathLike | None = None,
               caps: Caps = Caps()) -> Starlette:
    """The app over `store` for the tracks of the GT packs `gt_dirs` (registered on the way). On
    start it ranks any scored entry a ranking misses and removes the job folders no upload refers
    to (left by a server stopped mid-upload)."""
    from importlib.resources import files

    from ..site import environment
    from . import api

    db = Store(store)
    packs: dict[str, GTPack] = {}
    for gt in gt_dirs:
        pack = GTPack(gt)
        if pack.track.name in packs:
            raise BenchError(f"{gt}: a second GT pack for track {pack.track.name}")
        db.register_track(pack.track, pack.split_hash, pack.public_ids)
        db.ensure_ranked(pack.track.name)
        packs[pack.track.name] = pack
    if not packs:
        raise BenchError("give the GT pack of at least one track (--gt)")
    jobs_dir = (Path(jobs) if jobs is not None else default_jobs(str(store))).resolve()
    jobs_dir.mkdir(parents=True, exist_ok=True)
    remove_orphans(db, jobs_dir)
    state = BoardState(db, packs, {name: Screener(p) for name, p in packs.items()}, jobs_dir, caps, environment())
    static = StaticFiles(directory=str(files("benchmark.leaderboards").joinpath("static")))
    app = Starlette(routes=[Route("/", index), Route("/tracks/{track}/", board_page),
                            Route("/entries/{sid:int}", entry_page), Route("/entries/{sid:int}/{part}.json", result_file),
                            *api.routes(), Mount("/static", static, name="static")],
                    exception_handlers={Rejected: _rejected, BenchError: _bench_error, HTTPException: _http_error,
                                        Exception: _internal_error})
    app.add_middleware(SecurityHeaders)
    app.state.board = state
    return app


def remove_orphans(store: Store, jobs: Path) -> list[Path]:
    """Remove the job folders under `jobs` that no upload of the store refers to (a server stopped
    mid-upload leaves one); return them. One server per jobs folder: another one's upload in flight
    would look the same."""
    import shutil

    known = {str(Path(d).resolve()) for d in store.job_dirs()}
    orphans = [p for p in jobs.iterdir() if p.is_dir() and not p.is_symlink() and str(p.resolve()) not in known]
    for path in orphans:
        shutil.rmtree(path, ignore_errors=True)
        log.info("removed the orphan job folder %s", path.name)
    return orphans


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP answer (pure ASGI: streaming answers pass untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)
        await self.app(scope, receive, with_headers)


async def index(request: Request) -> Response:
    return await _render_board(request, sorted(request.app.state.board.packs)[0])


async def board_page(request: Request) -> Response:
    return await _render_board(request, request.path_params["track"])


async def _render_board(request: Request, track: str) -> Response:
    from ..site import render_board

    state = request.app.state.board
    if track not in state.packs:
        raise Rejected("unknown_track", f"no track '{track}' on this server")
    q = request.query_params
    sort = (q.get("sort", DEFAULT_SORT[0]), q.get("dir", DEFAULT_SORT[1]))
    if sort[1] not in ("asc", "desc"):
        raise Rejected("bad_request", "dir is asc or desc")
    filt = next(((key, q[key]) for key in FILTERS if key in q), None)

    def render() -> str:
        boards = _boards(state)
        board = next(b for b in boards if b.track.name == track)
        return render_board(state.env, board, boards, LiveLinks(), sort, filt)

    return HTMLResponse(await run_in_threadpool(render))


async def entry_page(request: Request) -> Response:
    from ..site import render_entry
    from .api import find_entry

    state = request.app.state.board

    def render() -> str:
        board, row = find_entry(state, request.path_params["sid"])
        return render_entry(state.env, board, _boards(state), row, LiveLinks())

    return HTMLResponse(await run_in_threadpool(render))


async def result_file(request: Request) -> Response:
    from .api import JSONResponse as Finite
    from .api import find_entry

    board, row = await run_in_threadpool(find_entry, request.app.state.board, request.path_params["sid"])
    part = request.path_params["part"]
    if part not in row.results:
        raise Rejected("not_found", f"entry {row.sid} has no part '{part}'")
    return Finite(board.track.public_result(row.results[part][1]))


def _boards(state: BoardState) -> list:
    from ..board import load_board

    return [load_board(state.store, name) for name in sorted(state.packs)]


async def _rejected(request: Request, exc: Rejected) -> Response:
    from .api import error_response

    return error_response(exc)


async def _bench_error(request: Request, exc: BenchError) -> Response:
    return JSONResponse({"error": "bad_request", "message": str(exc).splitlines()[0]}, 400)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "bad_request"}.get(exc.status_code, "bad_request")
    return JSONResponse({"error": code, "message": str(exc.detail)}, exc.status_code)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Logged with the path only: headers (the token) are never written to the log.
    log.error("internal error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse({"error": "internal_error", "message": "internal server error (logged)"}, 500)


def serve(store: str, gt_dirs: Sequence[str], host: str = "127.0.0.1", port: int = 8000, jobs: str | None = None,
          caps: Caps = Caps()) -> None:
    """Run the server until interrupted."""
    import uvicorn

    app = create_app(store, gt_dirs, jobs, caps)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
