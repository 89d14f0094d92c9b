"""A live submission server for the tests: uvicorn on a free 127.0.0.1 port in a thread of the
test process (so that the tests can give it small caps), and scoring workers as `bench
leaderboard worker` child processes."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from benchmark.leaderboards.web.screening import Caps
from benchmark.leaderboards.web.server import create_app

WORKER_ARGS = ("--lease", "2", "--exit-when-idle", "3", "--time-limit", "120")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, store: Path, gt_dirs: list[Path], jobs: Path, caps: Caps = Caps()):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.jobs = jobs
        config = uvicorn.Config(create_app(store, gt_dirs, jobs, caps), host="127.0.0.1", port=self.port,
                                log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def worker_command(store: Path, gt_dirs: list[Path], *extra: str) -> list[str]:
    gts = [a for gt in gt_dirs for a in ("--gt", str(gt))]
    return [sys.executable, "-m", "benchmark.cli.main", "leaderboard", "worker", "--store", str(store), *gts,
            *WORKER_ARGS, *extra]


def run_worker(store: Path, gt_dirs: list[Path], timeout: float = 120) -> str:
    """Run one worker until the queue stayed empty a few seconds; its output."""
    done = subprocess.run(worker_command(store, gt_dirs), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def upload(url: str, track: str, token: str | None, files: list[tuple[str, bytes]], **fields: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{url}/api/v1/tracks/{track}/submissions", headers=headers, data=fields,
                      files=[("file", (name, data, "application/zip")) for name, data in files], timeout=60)


def wait_done(url: str, token: str, sid: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = httpx.get(f"{url}/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {token}"}).json()
        if status["status"] in ("scored", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
