"""A bounded load test of the submission server on loopback: demo data, one frozen track, a
SQLite (or --store URL) store, `bench leaderboard serve` and --workers `bench leaderboard worker`
processes, then --uploads concurrent uploads from --teams teams. Checks that every submission was
scored exactly once (one row each, one `scored` event, one result per part, none lost or
duplicated) and that the stored ranking equals a recomputation from the stored results; prints
submissions per minute and the 95th-percentile time from upload to score. `--hog` keeps every core
busy with a loop of its own meanwhile (scoring slows down, and with it any race shows).

    python tools/perf/leaderboard_load.py [--uploads 50] [--teams 10] [--workers 2] [--hog] [--out DIR]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from leaderboard_demo import write_parts  # noqa: E402

TRACK = "diffseg-binary"


def bench(*argv) -> None:
    from benchmark.cli.main import main

    if main([str(a) for a in argv]) != 0:
        raise SystemExit(f"bench {' '.join(map(str, argv[:2]))} failed")


def busy() -> None:
    while True:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=20, help="demo images (the validation split is part of them)")
    parser.add_argument("--store", help="a database URL (default: a SQLite file in the output folder)")
    parser.add_argument("--out", type=Path, help="new folder (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--hog", action="store_true", help="one busy loop per core while the load runs")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-load-"))

    from benchmark.leaderboards.gtpack import GTPack
    from benchmark.leaderboards.ranking import entry_of, rank
    from benchmark.leaderboards.store import Store
    from benchmark.leaderboards.teams import add_team
    from benchmark.leaderboards.track import get_track

    bench("data", "demo", "--format", "diffseg", "--out", out / "data", "--images", args.images, "--size", 64, "--seed", 7)
    bench("leaderboard", "freeze", TRACK, "--root", out / "data", "--out", out / "gt", "--workers", 1, "--quiet")
    pack = GTPack(out / "gt")
    store_url = args.store or str(out / "board.db")
    store = Store.create(store_url)
    tokens = []
    for k in range(args.teams):
        add_team(store, f"team-{k}", out / f"team-{k}.token")
        tokens.append((out / f"team-{k}.token").read_text().strip())
    subs = [write_parts(pack, out / "subs" / str(k), "noisy", seed=k, method=f"net-{k}")[0] for k in range(args.uploads)]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli = [sys.executable, "-m", "benchmark.cli.main", "leaderboard"]
    hogs = [multiprocessing.get_context("spawn").Process(target=busy, daemon=True)
            for _ in range(os.cpu_count() or 1)] if args.hog else []
    for hog in hogs:
        hog.start()
    procs = [subprocess.Popen(cli + ["serve", "--store", store_url, "--gt", str(out / "gt"), "--port", str(port),
                                     "--jobs", str(out / "jobs")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/api/v1", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        procs += [subprocess.Popen(cli + ["worker", "--store", store_url, "--gt", str(out / "gt")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.workers)]

        def send(k: int) -> tuple[int, float]:
            started = time.time()
            r = httpx.post(f"{url}/api/v1/tracks/{TRACK}/submissions",
                           headers={"Authorization": f"Bearer {tokens[k % args.teams]}"},
                           files=[("file", ("sub.zip", subs[k].read_bytes(), "application/zip"))], timeout=120)
            if r.status_code != 202:
                raise SystemExit(f"upload {k}: HTTP {r.status_code} {r.text}")
            return r.json()["submission"], started

        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(args.uploads) as pool:
            sent = list(pool.map(send, range(args.uploads)))
        upload_s = time.time() - t0
        deadline = time.monotonic() + args.timeout
        while any(s["status"] in ("queued", "scoring") for s in store.submissions(TRACK)):
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for the workers")
            time.sleep(0.25)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        for hog in hogs:
            hog.kill()

    rows = store.submissions(TRACK)
    ids = [sid for sid, _ in sent]
    problems, ranking_problems = [], []
    if sorted(r["id"] for r in rows) != sorted(ids) or len(set(ids)) != len(ids):
        problems.append(f"{len(rows)} submission rows for {len(ids)} uploads")
    done_at = {}
    for r in rows:
        history = [h["status"] for h in store.history(r["id"])]
        if r["status"] != "scored" or history.count("scored") != 1 or len(store.results(r["id"])) != len(pack.track.parts):
            problems.append(f"#{r['id']}: {r['status']} ({r['error']}), history {history}")
        done_at[r["id"]] = next(datetime.fromisoformat(h["at"].replace("Z", "+00:00")).timestamp()
                                for h in store.history(r["id"]) if h["status"] == "scored") if "scored" in history else None
    track = get_track(TRACK)
    entries = []
    for r in rows:
        if r["status"] == "scored":
            results = {part: json.loads(text) for part, (_, text) in store.results(r["id"]).items()}
            entries.append(entry_of(track, r["id"], r["tier"], r["submitted_at"], results, store.estimate(r["id"]).draws))
    recomputed = {sid: (pos, p) for sid, pos, p in rank(entries)}
    stored = store.latest_ranking(TRACK)
    if recomputed != stored:
        missing = sorted(set(recomputed) - set(stored))
        ranking_problems.append(f"stored ranking differs from the recomputation on "
                                f"{len(set(recomputed.items()) ^ set(stored.items()))} rows"
                                + (f" (scored but missing from it: {', '.join(f'#{m}' for m in missing)})" if missing else ""))
    latencies = np.array([done_at[sid] - started for sid, started in sent if done_at.get(sid)])
    span = max(done_at.values(), default=t0) - t0
    print(f"uploads: {len(ids)} from {args.teams} teams in {upload_s:.2f} s, {args.workers} workers, "
          f"{len(pack.records)} images per submission" + (f", {len(hogs)} busy loops" if hogs else ""))
    print(f"scored: {len(latencies)} of {len(ids)}, each exactly once: {'yes' if not problems else 'NO'}; "
          f"ranks equal to the recomputation: {'yes' if recomputed == stored else 'NO'}")
    print(f"throughput: {len(latencies) / span * 60:.1f} submissions/min")
    print(f"upload to score: p50 {np.percentile(latencies, 50):.2f} s, p95 {np.percentile(latencies, 95):.2f} s, "
          f"max {latencies.max():.2f} s")
    for line in (problems + ranking_problems)[:20]:
        print("problem:", line)
    return 1 if problems or ranking_problems else 0


if __name__ == "__main__":
    sys.exit(main())
