"""The submission server against a real uvicorn server on 127.0.0.1: upload, poll and rank through
the API and `bench submit`, the stored bytes equal to `bench score`; tokens refused; limits
answered 429 with their reset time; every hostile upload kind refused with its code and nothing
written outside the job folder; a worker SIGKILLed mid-job, the job then scored exactly once;
scorings past the time and memory limits failed with their codes; and the live page in headless
Chromium."""
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from leaderboard_helpers import write_parts
from leaderboard_server_helpers import LiveServer, run_worker, upload, wait_done, worker_command

from benchmark.cli.main import main
from benchmark.leaderboards.freeze import freeze
from benchmark.leaderboards.gtpack import GTPack
from benchmark.leaderboards.web.screening import Caps
from benchmark.leaderboards.store import Store
from benchmark.leaderboards.teams import add_team
from benchmark.leaderboards.track import get_track
from benchmark.predictions import write_predictions
from benchmark.predictions.codecs import encode_mask_png

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "perf"))
from bomb_guard import png_bomb  # noqa: E402

TRACK = "diffseg-binary"
CAPS = Caps(upload_bytes=4 << 20, archive_bytes=2 << 20)
SCREENSHOT_COPY = Path("/tmp/leaderboard_server_screenshot.png")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def pack(tmp_path_factory, demo_roots) -> GTPack:
    base = tmp_path_factory.mktemp("server-pack")
    freeze(get_track(TRACK), demo_roots["diffseg"], base / "gt", base / "bundle", workers=1, progress=False)
    return GTPack(base / "gt")


@pytest.fixture(scope="module")
def subs(pack, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("server-subs")
    return {kind: write_parts(pack, base / kind, kind, seed=k)[0] for k, kind in enumerate(("perfect", "noisy", "background"))}


class Board:
    """A store with teams, a live server on it, and the tokens."""

    def __init__(self, root: Path, pack: GTPack, limits: dict[str, tuple[int | None, int | None]]):
        self.root, self.pack = root, pack
        self.store_path = root / "board.db"
        self.store = Store.create(self.store_path)
        self.tokens = {}
        for name, (daily, phase) in limits.items():
            add_team(self.store, name, root / f"{name}.token", daily, phase)
            self.tokens[name] = (root / f"{name}.token").read_text().strip()
        self.jobs = root / "jobs"
        self.server = LiveServer(self.store_path, [pack.path], self.jobs, CAPS)


@pytest.fixture
def board(tmp_path, pack):
    b = Board(tmp_path, pack, {"alpha": (None, None), "beta": (None, None), "daily2": (2, None), "phase1": (None, 1)})
    with b.server:
        yield b


def test_upload_poll_rank_and_offline_parity(board, subs, demo_roots, tmp_path, capsys):
    url, alpha = board.server.url, board.tokens["alpha"]
    ids = {}
    for kind in ("noisy", "background"):
        r = upload(url, TRACK, alpha, [("x.zip", subs[kind].read_bytes())], supervision="pixel masks")
        assert r.status_code == 202, r.text
        ids[kind] = r.json()["submission"]
        assert r.json()["status"] == "queued"  # answered before any worker ran: the server never scores
    assert httpx.get(f"{url}/api/v1").json()["queued"] == 2
    queued = httpx.get(f"{url}/api/v1/submissions/{ids['noisy']}", headers={"Authorization": f"Bearer {alpha}"}).json()
    assert queued["status"] == "queued" and [h["status"] for h in queued["history"]] == ["queued"]
    worker = subprocess.Popen(worker_command(board.store_path, [board.pack.path]), stdout=subprocess.PIPE, text=True)
    # bench submit, as a participant runs it, waiting for the score
    capsys.readouterr()
    assert main(["submit", str(subs["perfect"]), "--track", TRACK, "--server", url, "--token-file",
                 str(board.root / "alpha.token"), "--wait", "--timeout", "60", "--json", "--quiet"]) == 0
    answer = json.loads(capsys.readouterr().out)
    worker.wait(timeout=120)
    assert worker.returncode == 0
    ids["perfect"] = answer["submission"]
    assert answer["status"] == "scored" and answer["rank"] == 1 and answer["metric"] == "miou"
    assert answer["score"] == pytest.approx(1.0) and answer["ci95"][0] <= answer["ci95"][1]
    for kind in ("noisy", "background"):
        assert wait_done(url, alpha, ids[kind])["status"] == "scored"
    ranks = {kind: wait_done(url, alpha, sid)["rank"] for kind, sid in ids.items()}
    assert ranks == {"perfect": 1, "noisy": 2, "background": 3}
    board_json = httpx.get(f"{url}/api/v1/tracks/{TRACK}/board.json").json()
    assert [row["method"] for row in board_json["rows"]] == ["perfect", "noisy", "background"]
    rows = list(csv.DictReader(io.StringIO(httpx.get(f"{url}/api/v1/tracks/{TRACK}/board.csv").text)))
    assert [r["method"] for r in rows] == ["perfect", "noisy", "background"] and rows[1]["supervision"] == "pixel masks"
    entry = httpx.get(f"{url}/api/v1/entries/{ids['noisy']}").json()
    assert entry["rank"] == 2 and "area_bin" not in entry["results"]["clean"]["result"].get("breakdowns", {})
    assert httpx.get(f"{url}/api/v1/entries/999").json()["error"] == "not_found"
    # offline parity: the stored bytes are what bench score writes for the same zip, translated to the ids
    store = Store(board.store_path)
    assert answer["result_sha256"]["clean"] == store.results(ids["perfect"])["clean"][0]
    for kind, sid in ids.items():
        (sha, text), = store.results(sid).values()
        out, translated = tmp_path / f"{kind}.json", tmp_path / f"{kind}-ids.zip"
        assert main(["leaderboard", "translate", str(subs[kind]), "--gt", str(board.pack.path), "--out",
                     str(translated)]) == 0
        assert main(["score", str(translated), "--dataset", "diffseg", "--root", str(demo_roots["diffseg"]),
                     "--split", "val", "--policy", "preset=diffseg", "--out", str(out), "--workers", "1", "--quiet"]) == 0
        assert out.read_text() == text, kind
        history = store.history(sid)
        assert [h["status"] for h in history] == ["queued", "scoring", "scored"]
    # the job folders stay with the uploads they hold, under the jobs folder only
    assert all(Path(store.submission(sid)["job_dir"]).parent == board.jobs.resolve() for sid in ids.values())


def test_tokens_are_required_and_checked(board, subs):
    url, data = board.server.url, [("x.zip", subs["noisy"].read_bytes())]
    none = upload(url, TRACK, None, data)
    assert none.status_code == 401 and none.json()["error"] == "missing_token"
    wrong = upload(url, TRACK, board.tokens["alpha"] + "x", data)
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_token"
    assert set(wrong.json()) == {"error", "message"} and board.tokens["alpha"] not in wrong.text
    ok = upload(url, TRACK, board.tokens["alpha"], data)
    assert ok.status_code == 202
    sid = ok.json()["submission"]
    other = httpx.get(f"{url}/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {board.tokens['beta']}"})
    assert other.status_code == 404 and other.json()["error"] == "unknown_submission"
    assert httpx.get(f"{url}/api/v1/submissions/{sid}").status_code == 401
    unknown = upload(url, "no-such-track", board.tokens["alpha"], data)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_track"
    stored = Store(board.store_path)
    assert [s["id"] for s in stored.submissions()] == [sid]  # refused uploads leave no row
    assert all(t["token_sha256"] != board.tokens["alpha"] and len(t["token_sha256"]) == 64 for t in stored.teams())
    assert board.tokens["alpha"] not in board.store_path.read_bytes().decode("latin-1")


def test_limits_answer_429_with_the_reset_time(board, subs):
    url, data = board.server.url, [("x.zip", subs["noisy"].read_bytes())]
    for _ in range(2):
        assert upload(url, TRACK, board.tokens["daily2"], data).status_code == 202
    over = upload(url, TRACK, board.tokens["daily2"], data)
    assert over.status_code == 429 and over.json()["error"] == "daily_limit"
    midnight = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    assert over.json()["reset_at"] == midnight and midnight in over.json()["message"]
    assert 0 < int(over.headers["Retry-After"]) <= 86400
    assert upload(url, TRACK, board.tokens["phase1"], data).status_code == 202
    phase = upload(url, TRACK, board.tokens["phase1"], data)
    assert phase.status_code == 429 and phase.json()["error"] == "phase_limit" and phase.json()["reset_at"] is None
    assert upload(url, TRACK, board.tokens["alpha"], data).status_code == 202  # other teams are not affected
    assert len(Store(board.store_path).submissions()) == 4


# -- hostile uploads ----------------------------------------------------------------------------
def _zip(members: list[tuple[zipfile.ZipInfo | str, bytes]], compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for info, data in members:
            z.writestr(info, data)
    return buf.getvalue()


def _with_member(sub: Path, info, data: bytes) -> bytes:
    """The valid submission `sub` plus one more member."""
    with zipfile.ZipFile(sub) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    return _zip(members + [(info, data)])


def _hostile(kind: str, pack: GTPack, sub: Path, tmp: Path) -> tuple[bytes, dict]:
    import numpy as np

    good = sub.read_bytes()
    if kind == "path_traversal":
        return _with_member(sub, "../../evil.txt", b"x"), {}
    if kind == "absolute_path":
        return _with_member(sub, "/tmp/evil_absolute.txt", b"x"), {}
    if kind == "symlink":
        info = zipfile.ZipInfo("masks/link.png")
        info.external_attr = (0o120777 << 16)
        return _with_member(sub, info, b"/etc/passwd"), {}
    if kind == "duplicate_member":
        with zipfile.ZipFile(sub) as z:
            first = z.infolist()[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
                return _with_member(sub, first.filename, z.read(first)), {}
    if kind == "archive_too_large":
        return _with_member(sub, "padding.bin", np.random.default_rng(0).bytes(CAPS.archive_bytes + 1)), {}
    if kind == "compression_ratio":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("bomb.bin", bytes(8 << 20))
        return buf.getvalue(), {}
    if kind in ("png_too_large", "bad_score_nan", "bad_score_inf", "bad_score_range"):
        ids = [r.name for r in pack.records]  # as the bundle names the images
        masks = [(i, np.zeros((64, 64), np.float32)) for i in ids]
        raw, scores = [], None
        if kind == "png_too_large":
            raw, masks = [(ids[0], png_bomb(3000, 3000))], masks[1:]
        else:
            value = {"bad_score_nan": "nan", "bad_score_inf": "inf", "bad_score_range": "1.5"}[kind]
            scores = ("image_id,score\n" + "".join(f"{i},{value if k == 0 else 0.5}\n" for k, i in enumerate(ids))).encode()
        path = write_predictions(tmp / f"{kind}.zip", "binary", pack.spec, pack.split, pack.generators, "evil",
                                 masks, scores=scores, raw_masks=raw)
        return path.read_bytes(), {}
    if kind == "wrong_track":
        ids = [r.name for r in pack.records]
        path = write_predictions(tmp / "jpeg.zip", "binary", pack.spec, pack.split, pack.generators, "m",
                                 [(i, np.zeros((64, 64), np.float32)) for i in ids], extra_manifest={"distortion": "jpeg60"})
        return path.read_bytes(), {}
    if kind == "wrong_split_hash":
        return good, {"split_hash": "0" * 64}
    if kind in ("hash_mismatch", "unknown_name"):
        with zipfile.ZipFile(sub) as z:
            members = [(i.filename, z.read(i)) for i in z.infolist()]
        mask = next(k for k, (name, _) in enumerate(members) if name.startswith("masks/"))
        name, _ = members[mask]
        if kind == "hash_mismatch":  # a mask changed after packing: a valid PNG, not the one the manifest signed
            members[mask] = (name, encode_mask_png(np.full((64, 64), 7, np.uint8)))
            return _zip(members), {}
        ids = [r.name for r in pack.records]
        path = write_predictions(tmp / "unknown.zip", "binary", pack.spec, pack.split, pack.generators, "m",
                                 [(i if k else "0123456789abcdef0123", np.zeros((64, 64), np.float32))
                                  for k, i in enumerate(ids)])
        return path.read_bytes(), {}
    if kind == "truncated_archive":
        return good[: len(good) // 2], {}
    if kind == "not_a_zip":
        return b"GIF89a" + bytes(100), {}
    if kind == "upload_too_large":
        return np.random.default_rng(1).bytes(CAPS.upload_bytes + 1), {}
    raise AssertionError(kind)


HOSTILE = {"path_traversal": "path_traversal", "absolute_path": "absolute_path", "symlink": "symlink",
           "duplicate_member": "duplicate_member", "archive_too_large": "archive_too_large",
           "compression_ratio": "compression_ratio", "png_too_large": "png_too_large", "bad_score_nan": "bad_score",
           "bad_score_inf": "bad_score", "bad_score_range": "bad_score", "wrong_track": "wrong_track",
           "wrong_split_hash": "wrong_split_hash", "truncated_archive": "truncated_archive", "not_a_zip": "not_a_zip",
           "upload_too_large": "upload_too_large", "hash_mismatch": "hash_mismatch", "unknown_name": "wrong_ids"}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_upload_is_refused_with_its_code(board, pack, subs, tmp_path, kind):
    data, fields = _hostile(kind, pack, subs["noisy"], tmp_path)
    before = {p for p in board.root.rglob("*")}
    r = upload(board.server.url, TRACK, board.tokens["alpha"], [("../../evil.zip", data)], **fields)
    body = r.json()
    assert body["error"] == HOSTILE[kind], body
    assert set(body) <= {"error", "message", "max_bytes"} and len(body["message"].splitlines()) == 1
    assert r.status_code in (400, 409, 413)
    assert str(board.jobs) not in body["message"] and "Traceback" not in r.text
    after = {p for p in board.root.rglob("*")}
    assert after == before  # nothing written, the refused job's folder removed
    assert not list(Path("/tmp").glob("evil_absolute*")) and not list(board.root.parent.rglob("evil*"))
    assert Store(board.store_path).submissions() == []
    # the same server still takes a good submission afterwards
    assert upload(board.server.url, TRACK, board.tokens["alpha"], [("x.zip", subs["noisy"].read_bytes())]).status_code == 202


# -- workers ------------------------------------------------------------------------------------
SLOW_WORKER = """
import os, sys, time
import benchmark.leaderboards.submit as submit
original = submit.score_claimed
def slow(*args, **kwargs):
    with open(sys.argv[1], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)
    return original(*args, **kwargs)
submit.score_claimed = slow
from benchmark.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def test_worker_killed_mid_job_is_reclaimed_and_scored_once(board, subs):
    url, alpha = board.server.url, board.tokens["alpha"]
    sid = upload(url, TRACK, alpha, [("x.zip", subs["noisy"].read_bytes())]).json()["submission"]
    flag = board.root / "scoring.pid"
    slow = subprocess.Popen([sys.executable, "-c", SLOW_WORKER, str(flag), *worker_command(board.store_path, [board.pack.path])[3:]])
    deadline = time.monotonic() + 60
    while not flag.exists() or not flag.read_text():
        assert time.monotonic() < deadline and slow.poll() is None, "the slow worker never started scoring"
        time.sleep(0.05)
    child = int(flag.read_text())
    store = Store(board.store_path)
    assert store.submission(sid)["status"] == "scoring"
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait(timeout=10)
    for _ in range(100):  # the scoring child dies with its worker
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the scoring child outlived its SIGKILLed worker")
    assert store.submission(sid)["status"] == "scoring"  # nothing stored: the job waits for its lease to run out
    out = run_worker(board.store_path, [board.pack.path])
    assert f"#{sid}: scored" in out
    sub = store.submission(sid)
    assert sub["status"] == "scored" and sub["attempts"] == 2
    history = store.history(sid)
    assert [h["status"] for h in history] == ["queued", "scoring", "scoring", "scored"]
    assert "lease ran out" in history[2]["detail"] and history[1]["worker"] != history[3]["worker"]
    assert len(store.results(sid)) == 1 and store.latest_ranking(TRACK) == {sid: (1, None)}
    assert wait_done(url, alpha, sid)["status"] == "scored"


RANKING_WORKER = """
import os, sys, time
import benchmark.leaderboards.store.submissions as stored
original = stored._rank
def paused(*args, **kwargs):
    if kwargs.get("cause") is not None:  # the scored entry's own ranking, inside its transaction
        with open(sys.argv[1], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(60)
    return original(*args, **kwargs)
stored._rank = paused
from benchmark.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_worker_killed_between_scoring_and_ranking_leaves_nothing_unranked(board, subs):
    """The worker is SIGKILLed exactly while its results are stored and its track reranked: the
    two are one transaction, so the entry is never scored without its ranking; it stays scoring,
    its lease runs out, and the next worker scores and ranks it."""
    url, alpha = board.server.url, board.tokens["alpha"]
    sid = upload(url, TRACK, alpha, [("x.zip", subs["noisy"].read_bytes())]).json()["submission"]
    flag = board.root / "ranking.pid"
    worker = subprocess.Popen([sys.executable, "-c", RANKING_WORKER, str(flag),
                               *worker_command(board.store_path, [board.pack.path])[3:]])
    deadline = time.monotonic() + 60
    while not flag.exists() or not flag.read_text():
        assert time.monotonic() < deadline and worker.poll() is None, "the worker never reached the ranking"
        time.sleep(0.05)
    store = Store(board.store_path)
    assert store.submission(sid)["status"] == "scoring" and store.latest_ranking(TRACK) == {}
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    child = int(flag.read_text())
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    assert store.submission(sid)["status"] == "scoring" and store.results(sid) == {}
    out = run_worker(board.store_path, [board.pack.path])
    assert f"#{sid}: scored" in out
    assert store.submission(sid)["status"] == "scored" and store.latest_ranking(TRACK) == {sid: (1, None)}
    assert [h["status"] for h in store.history(sid)] == ["queued", "scoring", "scoring", "scored"]


def test_a_scoring_over_the_time_limit_fails_with_its_code(board, subs):
    url, alpha = board.server.url, board.tokens["alpha"]
    sid = upload(url, TRACK, alpha, [("x.zip", subs["noisy"].read_bytes())]).json()["submission"]
    flag = board.root / "slow.pid"
    done = subprocess.run([sys.executable, "-c", SLOW_WORKER, str(flag),
                           *worker_command(board.store_path, [board.pack.path], "--time-limit", "1")[3:]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status = wait_done(url, alpha, sid)
    assert status["status"] == "failed" and status["error"] == "timeout" and "limit of 1 s" in status["message"]
    assert Store(board.store_path).latest_ranking(TRACK) == {}


GREEDY_WORKER = """
import sys
import benchmark.leaderboards.submit as submit
original = submit.score_claimed
def greedy(*args, **kwargs):
    hog = bytearray(1 << 30)  # fine without a limit, far over the 64 MiB this worker allows
    return original(*args, **kwargs)
submit.score_claimed = greedy
from benchmark.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_scoring_over_the_memory_limit_fails_with_its_code(board, subs):
    url, alpha = board.server.url, board.tokens["alpha"]
    sid = upload(url, TRACK, alpha, [("x.zip", subs["noisy"].read_bytes())]).json()["submission"]
    done = subprocess.run([sys.executable, "-c", GREEDY_WORKER,
                           *worker_command(board.store_path, [board.pack.path], "--memory-mb", "64")[3:]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"#{sid}: failed (memory_limit)" in done.stdout
    status = wait_done(url, alpha, sid)
    assert status["status"] == "failed" and status["error"] == "memory_limit" and "64 MiB" in status["message"]


def test_a_broken_part_found_while_scoring_fails_with_its_code(board, pack, tmp_path):
    import numpy as np

    # A mask whose PNG header is fine (so the upload is queued) and whose pixel data is not, which
    # only decoding, in the worker, finds.
    ids = [r.name for r in pack.records]
    png = bytearray(encode_mask_png(np.zeros((64, 64), np.uint8)))
    png[41:51] = b"\xff" * 10
    path = write_predictions(tmp_path / "broken.zip", "binary", pack.spec, pack.split, pack.generators, "broken",
                             [(i, np.zeros((64, 64), np.float32)) for i in ids[:-1]], raw_masks=[(ids[-1], bytes(png))])
    r = upload(board.server.url, TRACK, board.tokens["alpha"], [("x.zip", path.read_bytes())])
    assert r.status_code == 202, r.text
    run_worker(board.store_path, [board.pack.path])
    status = wait_done(board.server.url, board.tokens["alpha"], r.json()["submission"])
    assert status["status"] == "failed" and status["error"] == "invalid_predictions", status
    assert "unreadable PNG" in status["message"] and str(board.jobs) not in status["message"]
    assert Store(board.store_path).latest_ranking(TRACK) == {}


# -- the live page --------------------------------------------------------------------------------
def test_live_page_in_headless_chromium(board, subs, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    url = board.server.url
    for kind in ("perfect", "noisy", "background"):
        assert upload(url, TRACK, board.tokens["alpha"], [("x.zip", subs[kind].read_bytes())],
                      supervision="none" if kind != "noisy" else "pixel masks").status_code == 202
    run_worker(board.store_path, [board.pack.path])
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 800})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url + "/")
        assert page.locator("nav.tabs a.tab").count() == 1
        methods = page.locator("table.board tbody tr td:nth-child(2)").all_inner_texts()
        assert methods == ["perfect", "noisy", "background"]
        # the server sorts too: follow the header link with scripts off the table
        href = page.locator("table.board th[data-key='m-bf1'] a").get_attribute("href")
        assert href.startswith(f"/tracks/{TRACK}/?sort=m-bf1")
        page.goto(url + href)
        bf1 = [float(v) for v in page.locator("table.board tbody td[data-v]").evaluate_all(
            "cells => cells.filter(c => c.cellIndex === document.querySelector(\"th[data-key='m-bf1']\").cellIndex)"
            ".map(c => c.dataset.v).filter(v => v !== '')")]
        assert len(bf1) == 3 and (bf1 == sorted(bf1) or bf1 == sorted(bf1, reverse=True))
        page.goto(url + f"/tracks/{TRACK}/?supervision=pixel+masks")
        assert page.locator("table.board tbody tr td:nth-child(2)").all_inner_texts() == ["noisy"]
        page.goto(url + "/")
        page.locator("table.board tbody tr td:nth-child(2) a", has_text="noisy").click()
        page.wait_for_url(re.compile(r"/entries/\d+$"))
        assert "Result files" in page.content() and page.locator("pre").count() == 1
        page.goto(url + "/")
        shot = tmp_path / "server.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert all(u.startswith(url) for u in requests), [u for u in requests if not u.startswith(url)]
    try:
        shutil.copyfile(shot, SCREENSHOT_COPY)  # a copy to look at
    except OSError:
        pass
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_load_tool_on_a_small_load(tmp_path):
    tool = Path(__file__).resolve().parents[1] / "tools" / "perf" / "leaderboard_load.py"
    done = subprocess.run([sys.executable, str(tool), "--uploads", "6", "--teams", "3", "--out", str(tmp_path / "load")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scored: 6 of 6, each exactly once: yes; ranks equal to the recomputation: yes" in done.stdout
    assert re.search(r"throughput: [\d.]+ submissions/min", done.stdout) and "p95" in done.stdout
