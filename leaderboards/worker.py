"""A scoring worker (`bench leaderboard worker`): any number of them, on one machine or several
against one PostgreSQL store, claim uploaded submissions one at a time (`Store.claim`) and score
each in a child process under a wall-clock and a memory limit, through the one scoring path
(`submit.score_claimed`). While the child scores, the worker renews the job's lease; a worker
that dies (even SIGKILLed) takes its child with it and stops renewing, so another worker claims
the job again once the lease runs out, and only the holder of the newest claim stores an outcome.
A child stores its results and its track's ranking in one transaction, so a child killed at any
moment leaves its job either scoring (claimed again) or scored and ranked; on start a worker
ranks any scored entry that an older bench left unranked."""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from benchmark.errors import BenchError

from .gtpack import GTPack
from .store import Store

FAILED_EXIT = 3      # the child stored the submission as failed itself
MEMORY_EXIT = 4      # the child ran out of its memory allowance
MAX_ATTEMPTS = 3     # claims of one job before it is failed: a job that kills its workers is not retried forever
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    lease_s: float = 30.0        # a job is claimed again this long after its worker's last renewal
    time_s: float = 900.0        # wall-clock limit of one scoring
    memory_mb: int = 4096        # address space the scoring child may add to what it starts with
    poll_s: float = 0.5          # wait between claims when the queue is empty


def worker_name() -> str:
    """Unique per process and start: a restarted worker never passes for the one it replaces."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_worker(store_url: str, gt_dirs: Sequence[str | os.PathLike], limits: Limits = Limits(),
               max_jobs: int | None = None, idle_exit_s: float | None = None,
               report: Callable[[str], None] = lambda line: None) -> int:
    """Claim and score jobs of the packs' tracks until `max_jobs` were done or the queue stayed
    empty for `idle_exit_s` (default: forever); return the number of jobs handled."""
    store = Store(store_url)
    packs = {}
    for gt in gt_dirs:
        pack = GTPack(gt)
        store.register_track(pack.track, pack.split_hash, pack.public_ids)  # refuses a pack that is not the board's
        store.ensure_ranked(pack.track.name)
        packs[pack.track.name] = pack
    if not packs:
        raise BenchError("give the GT pack of at least one track (--gt)")
    name, done, idle_since = worker_name(), 0, time.monotonic()
    report(f"worker {name} scoring {', '.join(packs)}")
    while max_jobs is None or done < max_jobs:
        job = store.claim(list(packs), name, limits.lease_s)
        if job is None:
            if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                break
            time.sleep(limits.poll_s)
            continue
        report(f"claimed #{job['id']} ({job['track']}, attempt {job['attempts']})")
        outcome = run_job(store, packs[job["track"]], job, name, limits)
        report(f"#{job['id']}: {outcome}")
        done, idle_since = done + 1, time.monotonic()
    return done


def run_job(store: Store, pack: GTPack, job: dict, name: str, limits: Limits) -> str:
    """Score one claimed job in a child process; return what became of it."""
    sid = job["id"]
    if job["attempts"] > MAX_ATTEMPTS:
        store.set_status(sid, "failed", name, f"scoring was interrupted {MAX_ATTEMPTS} times (workers died)",
                         code="worker_lost")
        return "failed (worker_lost)"
    parts = sorted(Path(job["job_dir"]).glob("part-*.zip"), key=lambda p: int(p.stem.split("-")[1]))
    if not parts:
        # Not the job's fault: this machine does not see the server's jobs folder. The job's lease
        # runs out and a worker that sees it claims it.
        raise BenchError(f"job folder {job['job_dir']} of submission {sid} is not on this machine: mount the "
                         "server's --jobs folder at the same path on every worker machine")
    child = multiprocessing.get_context("fork").Process(
        target=_score_in_child, args=(store.url, str(pack.path), sid, [str(p) for p in parts], name, limits.memory_mb),
        name=f"bench-score-{sid}", daemon=True)
    child.start()
    started = time.monotonic()
    while True:
        child.join(timeout=max(min(limits.lease_s / 3, 5.0), 0.05))
        if child.exitcode is not None:
            break
        if time.monotonic() - started > limits.time_s:
            child.kill()
            child.join()
            store.set_status(sid, "failed", name, f"scoring took longer than the limit of {limits.time_s:g} s",
                             code="timeout")
            return "failed (timeout)"
        if not store.heartbeat(sid, name, limits.lease_s):
            sub = store.submission(sid)
            if sub["worker"] == name and sub["status"] in ("scored", "failed"):
                child.join()  # the child stored its outcome and is on its way out
                break
            child.kill()  # another worker holds the job now: its outcome is the one stored
            child.join()
            return "lost the claim"
    if child.exitcode == 0:
        return "scored"
    if child.exitcode == FAILED_EXIT:
        return f"failed ({store.submission(sid)['error_code']})"
    code, why = (("memory_limit", f"scoring needed more than the limit of {limits.memory_mb} MiB")
                 if child.exitcode == MEMORY_EXIT else
                 ("internal_error", f"the scoring process ended with {_exit_text(child.exitcode)}"))
    if store.submission(sid)["status"] == "scoring":
        store.set_status(sid, "failed", name, why, code=code)
    return f"failed ({code})"


def _score_in_child(store_url: str, pack_dir: str, sid: int, parts: list[str], name: str, memory_mb: int) -> None:
    from .submit import score_claimed

    # Die with the worker: a SIGKILLed worker must not leave a scorer running under its claim.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(1)
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * page
    allowance = mapped + memory_mb * (1 << 20)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        allowance = min(allowance, hard)
    resource.setrlimit(resource.RLIMIT_AS, (allowance, allowance))
    try:
        score_claimed(Store(store_url), GTPack(pack_dir), sid, parts, worker=name, workers=1, progress=False)
    except MemoryError:
        os._exit(MEMORY_EXIT)
    except Exception:  # stored as failed, with its reason, by score_claimed
        os._exit(FAILED_EXIT)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
