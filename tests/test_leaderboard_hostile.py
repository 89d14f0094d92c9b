"""Hostile inputs to the leaderboard answered with their codes, never a 500 or a traceback in the
log: ids past the database's integers, formulas in a board's CSV, an archive of 300k members
(refused from its end record, the server's memory unmoved), a job folder left by a server stopped
mid-upload, and the pages' security headers."""
from __future__ import annotations

import csv
import io
import logging
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from leaderboard_helpers import write_parts
from leaderboard_server_helpers import free_port
from starlette.testclient import TestClient

from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack
from benchmark.leaderboards.store import Store
from benchmark.leaderboards.submit import add_submission
from benchmark.leaderboards.teams import add_team
from benchmark.leaderboards.track import get_track
from benchmark.leaderboards.web.server import create_app

TRACK = "diffseg-binary"
FORMULAS = {"method": "@SUM(1+1)*cmd|' /C calc'!A0", "supervision": "=HYPERLINK(\"http://evil\",\"x\")",
            "training_data": "+cmd|' /C calc'!A0"}


@pytest.fixture(scope="module")
def pack(tmp_path_factory, demo_roots) -> GTPack:
    base = tmp_path_factory.mktemp("hostile-pack")
    freeze(get_track(TRACK), demo_roots["diffseg"], base / "gt", base / "bundle", workers=1, progress=False)
    return GTPack(base / "gt")


@pytest.fixture
def board(tmp_path, pack):
    store = Store.create(tmp_path / "board.db")
    parts = write_parts(pack, tmp_path / "subs", "noisy", method=FORMULAS["method"])
    sid = add_submission(store, pack, parts, submitter="-2+3", supervision=FORMULAS["supervision"],
                         training_data=FORMULAS["training_data"], workers=1, progress=False)
    add_team(store, "team", tmp_path / "team.token")
    return store, sid


def test_ids_past_the_databases_integers_answer_404(board, tmp_path, pack, caplog):
    store, sid = board
    token = (tmp_path / "team.token").read_text().strip()
    client = TestClient(create_app(tmp_path / "board.db", [pack.path], tmp_path / "jobs"),
                        raise_server_exceptions=False)
    caplog.set_level(logging.INFO)
    for big in (2 ** 31, 2 ** 63, 2 ** 64, 10 ** 30):
        for url, code in ((f"/entries/{big}", "not_found"), (f"/entries/{big}/clean.json", "not_found"),
                          (f"/api/v1/entries/{big}", "not_found"), (f"/api/v1/submissions/{big}", "unknown_submission")):
            r = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 404 and r.json()["error"] == code, (url, r.text)
    assert client.get(f"/api/v1/entries/{sid}").status_code == 200  # the ids that exist still answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]


def test_a_boards_csv_carries_no_formula(board, tmp_path, pack):
    store, sid = board
    client = TestClient(create_app(tmp_path / "board.db", [pack.path], tmp_path / "jobs"))
    text = client.get(f"/api/v1/tracks/{TRACK}/board.csv").text
    row, = csv.DictReader(io.StringIO(text))
    for key, value in FORMULAS.items():  # OWASP: a cell a spreadsheet would run starts with a quote
        assert row[key] == "'" + value
    assert float(row["score"]) > 0 and row["submission"] == str(sid)  # numbers stay numbers
    cells = [c for line in csv.reader(io.StringIO(text)) for c in line]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]


def test_pages_and_answers_carry_the_security_headers(board, tmp_path, pack):
    store, sid = board
    client = TestClient(create_app(tmp_path / "board.db", [pack.path], tmp_path / "jobs"))
    for url in ("/", f"/tracks/{TRACK}/", f"/entries/{sid}", "/static/style.css", "/api/v1",
                f"/api/v1/tracks/{TRACK}/board.json", "/no/such/page"):
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["content-security-policy"] == "default-src 'self'", url
    page = client.get(f"/entries/{sid}").text
    assert "style=" not in page and "<script>" not in page  # nothing inline for the policy to block


def test_orphan_job_folders_are_removed_when_the_server_starts(board, tmp_path, pack):
    store, _ = board
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    kept = jobs / "kept"
    kept.mkdir()
    sid = store.new_upload(TRACK, store.teams()[0]["id"], str(kept), "2000-01-01T00:00:00Z", method="m")
    orphan = jobs / "0123abcd"  # a server stopped mid-upload left it: no upload refers to it
    orphan.mkdir()
    (orphan / "part-0.zip").write_bytes(b"PK\x03\x04 half an upload")
    create_app(tmp_path / "board.db", [pack.path], jobs)
    assert not orphan.exists() and kept.is_dir() and store.submission(sid)["job_dir"] == str(kept)


def many_members(n: int, liar: bool = False) -> bytes:
    """A zip of `n` empty members (ZIP64 end records); `liar`: its end record says 1."""
    body, directory = bytearray(), bytearray()
    for k in range(n):
        name = f"m{k:06d}".encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0,
                                 offset) + name
    start, count = len(body), 1 if liar else n
    body += directory
    zip64 = len(body)
    body += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory), start)
    body += struct.pack("<IIQI", 0x07064B50, 0, zip64, 1)
    body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(body)


def _peak_kib(pid: int) -> int:
    return int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmHWM:")).split()[1])


def test_a_300k_member_zip_is_refused_without_the_servers_memory_moving(board, tmp_path, pack):
    """The end record's count is capped before any entry is built, and a lying end record gains
    nothing (the records are counted one header at a time): the server's peak memory stays within a
    few MiB of what it was idle."""
    store, _ = board
    token = (tmp_path / "team.token").read_text().strip()
    for name, liar in (("many.zip", False), ("liar.zip", True)):
        (tmp_path / name).write_bytes(many_members(300_000, liar))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "benchmark.cli.main", "leaderboard", "serve", "--store",
                               str(tmp_path / "board.db"), "--gt", str(pack.path), "--port", str(port), "--jobs",
                               str(tmp_path / "jobs")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/api/v1", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}

        def send(path: Path) -> httpx.Response:
            with open(path, "rb") as f:  # streamed from disk: the client's memory is its own
                return httpx.post(f"{url}/api/v1/tracks/{TRACK}/submissions", headers=headers,
                                  files={"file": ("x.zip", f, "application/zip")}, timeout=120)

        (tmp_path / "warm.zip").write_bytes(b"GIF89a" + bytes(64))
        assert send(tmp_path / "warm.zip").json()["error"] == "not_a_zip"  # the upload path warmed up
        httpx.get(f"{url}/tracks/{TRACK}/")
        for name, how in (("many.zip", "300000 members"), ("liar.zip", "more than 200000 members")):
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # the peak starts again from now
            idle = _peak_kib(server.pid)
            r = send(tmp_path / name)
            assert r.status_code == 400 and r.json()["error"] == "too_many_members" and how in r.json()["message"]
            grown = (_peak_kib(server.pid) - idle) / 1024
            assert grown < 8, f"{name}: peak memory grew {grown:.1f} MiB while refusing it"
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "Traceback" not in out and " 500 " not in out


def _number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False
