"""Running the documentation's shell examples (tests/test_docs_examples.py; the rules are written
for users in docs/contributing.md).

Every fenced `bash` block of README.md and docs/**/*.md is an example. It runs, or the line right
above it marks what it needs that a test machine lacks (`MARKS`). A page's runnable blocks run in
order, as one bash script (`set -e`), in a fresh folder that holds the demo data of every format
at `demo_data/{format}` (`DEMO`), except where a block of the page writes that folder itself with
`bench data demo`. `bench` is a shell function that runs the command in the test's own Python
process (`benchmark.cli.main.main(argv)`) and fails the page on a non-zero exit wherever it
stands; inside a pipeline, a subshell or the background (`&`) it runs as a process of its own.
Steps that set up the environment the test already runs in are skipped and say so (`SKIPPED`).
The only changes made to a command are the caps in `CAPS` (flags a user has too), and each is
printed in the page's transcript.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The marks, each with what it stands for. Keep them few and true: a block that could run on the
# demo data runs.
MARKS = {
    "real data": "reads what does not ship: a full dataset (/data/...), pretrained weights, your detector's output",
    "gpu": "CUDA devices (torchrun over several GPUs, --device cuda)",
    "network": "serves on a network port and talks to it across machines (tests/test_leaderboard_server*.py "
               "run that flow on 127.0.0.1)",
}
MARK_RE = re.compile(r"^<!--\s*needs:\s*(?P<need>.*?)\s*-->$")
# Info strings that mean "shell" to a reader but would escape the harness.
OTHER_SHELLS = {"sh", "shell", "console", "zsh", "shell-session", "shellsession", "bash-session"}

# The demo data a page's folder starts with: `bench data demo --format F --out demo_data/F
# --images N --size 96 --seed 7` for each format (N per format: every kind of image in every split).
DEMO = {"diffseg": 20, "dolos": 3, "semitruths": 30, "cocoglide": 4}
DEMO_SIZE, DEMO_SEED = 96, 7

# Caps on what an example runs, as flags a user has: (sub-command, flag, the most it may ask). A
# flag the command does not give is added at the cap. `bench data demo` writes what the page
# folder would otherwise hold (`DEMO`); an experiment's trainings are capped through the
# `--cfg-options` every `bench experiment` action takes (the runs' definitions include it).
TRAIN_ITERS = 2
CAPS = [
    ("train", "--max-iters", TRAIN_ITERS),
    ("data demo", "--size", DEMO_SIZE),
    ("data demo", "--images", None),  # the format's count in DEMO
    ("experiment", "--cfg-options train_cfg.max_iters", TRAIN_ITERS),
]
# Sub-commands that serve until stopped: in-process they would never return.
SERVING = ("leaderboard serve", "leaderboard worker")

SKIPPED = {
    "venv": "the test runs in the installed environment",
    "pip": "the test runs in the installed environment",
    "activate": "the test runs in the installed environment",
    "pytest": "the test suite is not re-entered",
    "mkdocs": "the site build is tests/test_docs_build.py",
}


@dataclasses.dataclass
class Block:
    path: str    # relative to the repository root
    line: int    # of the opening fence, 1-based
    lang: str
    text: str
    mark: str | None  # the text of a `<!-- needs: ... -->` line right above, if any

    @property
    def needs(self) -> list[str]:
        return [n.strip() for n in self.mark.split(",")] if self.mark is not None else []

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


FENCE_RE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


def blocks(path: Path) -> tuple[list[Block], list[str]]:
    """The fenced code blocks of a Markdown page, and the problems of its marks."""
    lines = path.read_text().splitlines()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found, problems, marks_used = [], [], set()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        lang = m["info"].split()[0] if m["info"].strip() else ""
        body, j = [], i + 1
        while j < len(lines) and not (lines[j].strip().startswith(fence[0] * len(fence))
                                      and set(lines[j].strip()) == {fence[0]}):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        mark = None
        above = lines[i - 1].strip() if i > 0 else ""
        if MARK_RE.match(above):
            mark = MARK_RE.match(above)["need"]
            marks_used.add(i - 1)
        found.append(Block(rel, i + 1, lang, "\n".join(body) + "\n", mark))
        i = j + 1
    for k, line in enumerate(lines):
        if MARK_RE.match(line.strip()) and k not in marks_used:
            problems.append(f"{rel}:{k + 1}: a `needs:` mark must stand on the line right above a bash block")
    return found, problems


def _unquoted(text: str) -> str:
    """`text` with quoted strings emptied and comments dropped (what synopsis syntax is looked for in)."""
    out, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
                out.append(c)
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
            out.append(c)
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


SYNOPSIS_RE = re.compile(r"(?:^|\s)\[-|\w\|\w|\.\.\.")


def problems_of(block: Block) -> list[str]:
    """Why `block` breaks the rules of examples (see the module docstring); none when it keeps them."""
    where = block.where
    if not block.lang:
        return [f"{where}: a code block without a language: `bash` for an example, `text` for a synopsis or output"]
    if block.lang in OTHER_SHELLS:
        return [f"{where}: ```{block.lang}: write shell examples as ```bash (they are run), synopses as ```text"]
    if block.mark is not None and block.lang != "bash":
        return [f"{where}: a `needs:` mark above a {block.lang} block (marks are for bash examples)"]
    if block.lang != "bash":
        return []
    out = []
    for need in block.needs:
        if need not in MARKS:
            out.append(f"{where}: unknown mark 'needs: {need}' (known: {', '.join(MARKS)}; several: 'needs: gpu, real data')")
    m = SYNOPSIS_RE.search(_unquoted(block.text))
    if m:
        out.append(f"{where}: synopsis syntax ({m.group().strip()!r}) in a bash block: write a command "
                   f"synopsis as a ```text block, and an example as a command that runs")
    return out


def writes_demo(text: str) -> set[str]:
    """The folders that `bench data demo` commands in `text` write (their `--out`)."""
    out = set()
    for line in text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            words = list(lexer)
        except ValueError:  # a quote left open on this line: no command of ours
            continue
        command: list[str] = []
        for word in words + [";"]:
            if word and set(word) <= set("&|;()<>"):
                if command[:3] == ["bench", "data", "demo"]:
                    value = _flag_value(command, "--out")
                    if value:
                        out.add(os.path.normpath(value))
                command = []
            else:
                command.append(word)
    return out


def capped(argv: list[str]) -> tuple[list[str], list[str]]:
    """`argv` with `CAPS` applied, and a note per change."""
    argv, notes = list(argv), []
    words = []
    for word in argv[:2]:
        if word.startswith("-"):
            break
        words.append(word)
    for sub, flag, cap in CAPS:
        if words[:len(sub.split())] != sub.split():
            continue
        if cap is None:  # --images of `bench data demo`: the format's count
            cap = DEMO.get(_flag_value(argv, "--format") or "diffseg")
            if cap is None:
                continue
        if " " in flag:  # a config entry given through --cfg-options KEY=VALUE
            option, key = flag.split()
            at = [k for k, w in enumerate(argv) if w.startswith(key + "=")]
            given = argv[at[-1]].split("=", 1)[1] if at else None
            if given is None:
                argv += [option, f"{key}={cap}"]
                notes.append(f"{option} {key}={cap} added")
            elif given.isdigit() and int(given) > cap:
                argv[at[-1]] = f"{key}={cap}"
                notes.append(f"{key}={given} capped to {cap}")
            continue
        given = _flag_value(argv, flag)
        if given is None:
            argv += [flag, str(cap)]
            notes.append(f"{flag} {cap} added")
        elif given.isdigit() and int(given) > cap:
            argv = _set_flag(argv, flag, str(cap))
            notes.append(f"{flag} {given} capped to {cap}")
    return argv, notes


def _flag_value(argv: list[str], flag: str) -> str | None:
    for k, w in enumerate(argv):
        if w == flag and k + 1 < len(argv):
            return argv[k + 1]
        if w.startswith(flag + "="):
            return w.split("=", 1)[1]
    return None


def _set_flag(argv: list[str], flag: str, value: str) -> list[str]:
    out = list(argv)
    for k, w in enumerate(out):
        if w == flag:
            out[k + 1] = value
        elif w.startswith(flag + "="):
            out[k] = f"{flag}={value}"
    return out


# The client the `bench` shell function runs: it hands argv, folder and environment to the test's
# process over a Unix socket, with its standard output and error, and exits with the command's exit
# code (stdlib only, started with -S).
CLIENT = """
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["DOCS_EXAMPLES_SOCKET"])
request = json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}).encode() + b"\\n"
socket.send_fds(s, [request], [1, 2])  # the command writes where this shell sends our output
answer = b""
while not answer.endswith(b"\\n"):
    chunk = s.recv(64)
    if not chunk:
        break
    answer += chunk
sys.exit(int(answer or b"1"))
"""


PRELUDE = r"""
set -e -o pipefail
__skip() { echo "[docs examples] skipped: $1 ($2)"; }
bench() {
    if [[ $BASHPID != "$$" ]]; then  # a pipeline, a subshell or the background: its own process
        "$DOCS_EXAMPLES_PYTHON" "$DOCS_EXAMPLES_HARNESS" "$@"
    else
        "$DOCS_EXAMPLES_PYTHON" -S -c "$DOCS_EXAMPLES_CLIENT" "$@"
    fi
}
__python() {
    if [[ $1 == -m && $2 == venv ]]; then __skip "python -m venv" "$DOCS_EXAMPLES_SKIP_VENV"
    elif [[ $1 == -m && $2 == pip ]]; then __skip "python -m pip" "$DOCS_EXAMPLES_SKIP_PIP"
    elif [[ $1 == -m && $2 == pytest ]]; then __skip "python -m pytest" "$DOCS_EXAMPLES_SKIP_PYTEST"
    else "$DOCS_EXAMPLES_PYTHON" "$@"; fi
}
python() { __python "$@"; }
python3() { __python "$@"; }
python3.11() { __python "$@"; }
pip() { __skip "pip $*" "$DOCS_EXAMPLES_SKIP_PIP"; }
pytest() { __skip "pytest $*" "$DOCS_EXAMPLES_SKIP_PYTEST"; }
mkdocs() { __skip "mkdocs $*" "$DOCS_EXAMPLES_SKIP_MKDOCS"; }
__activate() { [[ $1 == */bin/activate ]]; }
source() { if __activate "$1"; then __skip "source $1" "$DOCS_EXAMPLES_SKIP_ACTIVATE"; else builtin source "$@"; fi; }
.() { if __activate "$1"; then __skip ". $1" "$DOCS_EXAMPLES_SKIP_ACTIVATE"; else builtin . "$@"; fi; }
__block() { export DOCS_EXAMPLES_BLOCK="$1"; printf '\n==> %s\n' "$1"; }
"""


class PageRun:
    """One page's runnable blocks, run in `folder` (see the module docstring)."""

    def __init__(self, page: Path, folder: Path, demo: Path, timeout: float = 900):
        self.page, self.folder, self.demo, self.timeout = page, folder, demo, timeout
        self.blocks, self.problems = blocks(page)
        self.transcript = folder.parent / f"{folder.name}.transcript.txt"
        self.failures: list[str] = []
        self.calls: list[tuple[str, list[str], int, float]] = []  # block, argv, exit code, seconds

    @property
    def runnable(self) -> list[Block]:
        return [b for b in self.blocks if b.lang == "bash" and b.mark is None]

    def prepare(self) -> None:
        self.folder.mkdir(parents=True)
        written = set().union(*(writes_demo(b.text) for b in self.runnable))
        for fmt in DEMO:
            target = Path("demo_data") / fmt
            if os.path.normpath(target) not in written:
                shutil.copytree(self.demo / fmt, self.folder / target)
        (self.folder / "tools").symlink_to(ROOT / "tools")  # examples that run the clone's scripts

    def script(self) -> str:
        parts = [PRELUDE]
        for b in self.blocks:
            if b.lang != "bash":
                continue
            if b.mark is not None:
                parts.append(f"printf '\\n==> %s: not run (needs: %s)\\n' {shlex.quote(b.where)} {shlex.quote(b.mark)}\n")
                continue
            parts.append(f"__block {shlex.quote(b.where)}\n{b.text}")
        return "\n".join(parts)

    def run(self) -> None:
        from benchmark.cli.main import main

        self.prepare()
        sockdir = Path(tempfile.mkdtemp(prefix="docs-ex-"))  # short: a socket path has at most 107 bytes
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(sockdir / "s"))
        server.listen(8)
        server.settimeout(0.2)
        env = {**os.environ,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "BENCH_CACHE": str(self.folder / ".cache"),
               "COLUMNS": "160",
               "DOCS_EXAMPLES_SOCKET": str(sockdir / "s"),
               "DOCS_EXAMPLES_PYTHON": sys.executable,
               "DOCS_EXAMPLES_CLIENT": CLIENT,
               "DOCS_EXAMPLES_HARNESS": str(Path(__file__).resolve()),
               **{f"DOCS_EXAMPLES_SKIP_{k.upper()}": v for k, v in SKIPPED.items()}}
        (self.folder.parent / f"{self.folder.name}.sh").write_text(self.script())
        deadline = time.monotonic() + self.timeout
        with open(self.transcript, "w") as log:
            proc = subprocess.Popen(["bash", str(self.folder.parent / f"{self.folder.name}.sh")], cwd=self.folder,
                                    env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            timed_out = False
            try:
                while proc.poll() is None:
                    if time.monotonic() > deadline:
                        timed_out = True
                        self.failures.append(f"{self.current_block()}: still running after {self.timeout:.0f} s")
                        break
                    try:
                        conn, _ = server.accept()
                    except socket.timeout:
                        continue
                    with conn:
                        conn.settimeout(None)
                        self._serve(conn, log, main)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)  # what the page left in the background
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                server.close()
                shutil.rmtree(sockdir, ignore_errors=True)
        if not timed_out and proc.returncode != 0:
            self.failures.append(f"{self.current_block()}: the block stopped with exit code {proc.returncode}")

    def _serve(self, conn: socket.socket, log, main) -> None:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
        while not data.endswith(b"\n"):
            chunk = conn.recv(1 << 16)
            if not chunk:
                return
            data += chunk
        request = json.loads(data)
        block = request["env"].get("DOCS_EXAMPLES_BLOCK", "?")
        argv, notes = capped(request["argv"])
        log.write(f"$ bench {shlex.join(request['argv'])}\n")
        for note in notes:
            log.write(f"[docs examples] cap: {note}\n")
        log.flush()
        start = time.monotonic()
        if " ".join(argv[:2]) in SERVING:
            log.write(f"[docs examples] `bench {' '.join(argv[:2])}` serves until stopped: start it in the background (&)\n")
            code = 1
        else:
            with os.fdopen(fds[0], "w") as out, os.fdopen(fds[1], "w") as err:
                code = _in_process(main, argv, request["cwd"], request["env"], out, err)
        seconds = time.monotonic() - start
        self.calls.append((block, argv, code, seconds))
        log.write(f"[docs examples] exit code {code} in {seconds:.1f} s\n")
        log.flush()
        if code != 0:
            self.failures.append(f"{block}: `bench {shlex.join(request['argv'])}` exited with {code}")
        conn.sendall(f"{code}\n".encode())
        # processes the command forked (data loader workers) hold a copy of the connection: end it
        conn.shutdown(socket.SHUT_RDWR)

    def current_block(self) -> str:
        blocks_seen = re.findall(r"^==> (\S+)$", self.transcript.read_text(), re.M)
        return blocks_seen[-1] if blocks_seen else self.page.name

    def report(self, lines: int = 80) -> str:
        text = self.transcript.read_text().splitlines()
        return "\n".join(self.failures + [f"--- last {lines} lines of {self.transcript}:"] + text[-lines:])


class _Stream(io.TextIOBase):
    """sys.stdout or sys.stderr while the examples run in this process: writes go to the running
    command's output, wherever the shell sent it. Loggers keep the stream they were made with, so
    it stays open between commands (what is written then goes to the process's own output)."""

    def __init__(self, fallback):
        self.target, self.fallback = None, fallback

    def write(self, text: str) -> int:
        return (self.target or self.fallback).write(text)

    def flush(self) -> None:
        (self.target or self.fallback).flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"


STDOUT, STDERR = _Stream(sys.__stdout__), _Stream(sys.__stderr__)


def _in_process(main, argv: list[str], cwd: str, env: dict, out, err) -> int:
    """`main(argv)` in `cwd` under `env`, writing to `out` and `err`; the exit code (a traceback: 1)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    STDOUT.target, STDERR.target = out, err
    try:
        with contextlib.redirect_stdout(STDOUT), contextlib.redirect_stderr(STDERR):
            try:
                return int(main(argv) or 0)
            except SystemExit as exc:  # argparse's usage errors
                return exc.code if isinstance(exc.code, int) else 1
            except Exception:
                traceback.print_exc(file=err)
                return 1
    finally:
        out.flush()
        err.flush()
        STDOUT.target = STDERR.target = None
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


if __name__ == "__main__":  # `bench` as a process of its own (see PRELUDE), capped as in-process
    from benchmark.cli.main import main

    argv, notes = capped(sys.argv[1:])
    for note in notes:
        print(f"[docs examples] cap: {note}", file=sys.stderr)
    sys.exit(main(argv))
