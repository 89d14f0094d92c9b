"""Receiving an upload: the multipart body is parsed as it streams in (python-multipart's push
parser), each file part written straight into the job's folder as `part-K.zip` (the client's file
name is never used), the whole body and every text field size-capped. Nothing is spooled
elsewhere, and nothing is kept in memory but the short text fields."""
from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

from ..values import Rejected

MAX_FIELD_BYTES = 1000   # a text field (method, supervision, ...)
MAX_FIELDS = 16


class Received:
    """Text fields and the written part files of one multipart body."""

    def __init__(self, job_dir: Path, max_files: int):
        self.job_dir, self.max_files = job_dir, max_files
        self.fields: dict[str, str] = {}
        self.files: list[Path] = []
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._name: str | None = None
        self._out = None
        self._buf: bytearray | None = None

    # python-multipart callbacks -------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers, self._name, self._out, self._buf = {}, None, None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if kind != b"form-data" or not name:
            raise Rejected("bad_request", "every multipart part needs a Content-Disposition: form-data; name=...")
        self._name = name.decode("utf-8", "replace")
        if b"filename" in options:
            if len(self.files) >= self.max_files:
                raise Rejected("too_many_files", f"more than {self.max_files} files in one submission")
            path = self.job_dir / f"part-{len(self.files)}.zip"
            self._out = open(path, "xb")  # a fresh name inside the job folder: never an existing file
            self.files.append(path)
        else:
            if len(self.fields) >= MAX_FIELDS:
                raise Rejected("bad_request", f"more than {MAX_FIELDS} form fields")
            self._buf = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif self._buf is not None:
            self._buf += data[start:end]
            if len(self._buf) > MAX_FIELD_BYTES:
                raise Rejected("bad_request", f"form field '{self._name}' is over {MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._buf is not None:
            try:
                self.fields[self._name] = self._buf.decode("utf-8")
            except UnicodeDecodeError:
                raise Rejected("bad_request", f"form field '{self._name}' is not UTF-8 text") from None
            self._buf = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive(stream: AsyncIterator[bytes], content_type: str, job_dir: Path, max_bytes: int,
                  max_files: int) -> Received:
    """Parse a multipart/form-data body from `stream` into `job_dir` (an existing empty folder);
    a Rejected when it is not multipart, passes `max_bytes` or ends early."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise Rejected("not_multipart", "upload the predictions as multipart/form-data (bench submit does)")
    received = Received(job_dir, max_files)
    callbacks = {name: getattr(received, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
        "on_part_data", "on_part_end")}
    ended = []
    callbacks["on_end"] = lambda: ended.append(True)
    parser = MultipartParser(options[b"boundary"], callbacks)
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > max_bytes:
                raise Rejected("upload_too_large", f"upload is over the server's cap of {max_bytes} bytes",
                               max_bytes=max_bytes)
            parser.write(chunk)
        parser.finalize()
    except Rejected:
        raise
    except Exception as exc:  # python-multipart's parse errors, a client that hung up
        raise Rejected("bad_request", f"malformed multipart body ({type(exc).__name__})") from None
    finally:
        received.close()
    if not ended:
        raise Rejected("bad_request", "the multipart body ended before its closing boundary")
    return received
