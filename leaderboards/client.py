"""The participant's side of the submission server (`bench submit`): one multipart upload of the
submission's zips, streamed from disk with a progress bar, then, if asked, polling its status
until it is scored or failed."""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from benchmark.errors import BenchError

from .protocol import ERROR_FIELDS, PREFIX, submission_path, submissions_path

CHUNK = 1 << 20


class ServerError(BenchError):
    """An error answer of the server: its code and one-line message."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"{message} ({code})")


class Client:
    def __init__(self, server: str, token: str, timeout: float = 60.0):
        import httpx

        self.server = server.rstrip("/")
        self.http = httpx.Client(base_url=self.server, timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs) -> dict:
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BenchError(f"{self.server}: cannot reach the leaderboard server ({type(exc).__name__}: {exc})") from None
        try:
            body = response.json()
        except ValueError:
            raise BenchError(f"{self.server}{path}: HTTP {response.status_code}, not a leaderboard server answer") from None
        if response.status_code >= 400:
            code, message = (body.get(k) for k in ERROR_FIELDS)
            raise ServerError(str(code or response.status_code), str(message or ""))
        return body

    def info(self) -> dict:
        return self._call("GET", PREFIX)

    def submit(self, track: str, paths: Sequence[str | os.PathLike], fields: Mapping[str, str],
               progress: bool = True) -> dict:
        """Upload one submission (a zip per part of the track); the server's answer (its id)."""
        files = [Path(p) for p in paths]
        for path in files:
            if not path.is_file():
                raise BenchError(f"{path}: not a file (submit each part as a zip: bench pack --out PART.zip)")
        info = self.info()
        if track not in info["tracks"]:
            raise BenchError(f"{self.server}: no track '{track}' (tracks: {', '.join(info['tracks'])})")
        boundary = uuid.uuid4().hex
        heads, tail = _multipart_heads(boundary, fields, files)
        total = sum(len(h) for h in heads) + sum(p.stat().st_size + 2 for p in files) + len(tail)
        if total > info["caps"]["upload_bytes"]:
            raise BenchError(f"the submission is {total} bytes, over the server's cap of {info['caps']['upload_bytes']}")
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(total)}
        with _Bar(total, f"uploading to {track}", progress) as bar:
            return self._call("POST", submissions_path(track),
                              content=_body(heads, files, tail, bar.advance), headers=headers)

    def status(self, sid: int) -> dict:
        return self._call("GET", submission_path(sid))

    def wait(self, sid: int, timeout: float, interval: float = 1.0) -> dict:
        """Poll until the submission is scored or failed; a BenchError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(sid)
            if status["status"] in ("scored", "failed"):
                return status
            if time.monotonic() > deadline:
                raise BenchError(f"submission {sid} still {status['status']} after {timeout:g} s "
                                 f"(poll it later: {self.server}{submission_path(sid)})")
            time.sleep(interval)


def _multipart_heads(boundary: str, fields: Mapping[str, str], files: Sequence[Path]) -> tuple[list[bytes], bytes]:
    """The bytes before each file part (the text fields ride in front of the first file)."""
    fields_part = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        for name, value in fields.items() if value)
    heads = [(fields_part if k == 0 else b"")
             + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="part-{k}.zip"\r\n'
               f"Content-Type: application/zip\r\n\r\n".encode()
             for k in range(len(files))]
    return heads, f"--{boundary}--\r\n".encode()


def _body(heads: list[bytes], files: Sequence[Path], tail: bytes, advance) -> Iterator[bytes]:
    for head, path in zip(heads, files):
        yield head
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                advance(len(chunk))
                yield chunk
        yield b"\r\n"
    yield tail


class _Bar:
    """A rich transfer bar on stderr (nothing when stderr is not a terminal or `enabled` is off)."""

    def __init__(self, total: int, description: str, enabled: bool):
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        console = Console(stderr=True)
        self.progress = None
        if enabled and console.is_terminal:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                     TransferSpeedColumn(), console=console, transient=True)
            self.task = self.progress.add_task(description, total=total)

    def __enter__(self) -> "_Bar":
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.stop()

    def advance(self, n: int) -> None:
        if self.progress:
            self.progress.advance(self.task, n)


def read_token(path: str | os.PathLike) -> str:
    """The token in `path` (one line), or a BenchError."""
    try:
        token = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        raise BenchError(f"{path}: cannot read the token file ({exc.strerror})") from None
    if not token or len(token) > 200 or any(c.isspace() for c in token):
        raise BenchError(f"{path}: not a token file (bench leaderboard team add --token-file writes one)")
    return token


def bundle_split_hash(bundle: str | os.PathLike, track: str) -> str:
    """The split hash a participant bundle's track.json was frozen with (checked by the server)."""
    path = Path(bundle) / "track.json"
    try:
        data = json.loads(path.read_text())
        if data["track"] != track:
            raise BenchError(f"{path}: the bundle of track {data['track']}, not {track}")
        return str(data["split_manifest_hash"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{path}: not a participant bundle's track.json ({type(exc).__name__})") from None
