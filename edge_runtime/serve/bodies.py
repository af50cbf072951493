"""Reading a request body off the socket, with the size limit checked before reading.

Works on any binary file object (the handler's ``rfile``), so it is tested
without a server. Problems are :class:`~edge_runtime.serve.uploads.RequestError`;
after one, the connection's state is unknown and the server closes it.
"""

from __future__ import annotations

from typing import Any, Protocol

from edge_runtime.serve.uploads import RequestError


class Stream(Protocol):
    """What is read from: a buffered binary stream (a socket's ``rfile``, ``io.BytesIO``)."""

    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


class Headers(Protocol):
    """Request headers (``http.client.HTTPMessage``, a dict …), looked up case-insensitively."""

    def get(self, name: str, default: Any = ..., /) -> Any: ...


DRAIN_LIMIT = 32 * 1024 * 1024
"""An over-limit body up to this size is read and dropped so the client sees the 413."""


def read_body(stream: Stream, headers: Headers, limit: int) -> bytes:
    """The body announced by ``Content-Length`` or sent chunked; 413 beyond ``limit`` bytes."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(stream, limit)
    raw_length = headers.get("Content-Length")
    if raw_length is None:
        return b""
    length = int(raw_length) if raw_length.strip().isdigit() else -1
    if length < 0:
        raise RequestError(400, f"invalid Content-Length: {raw_length!r}")
    if length > limit:
        drain(stream, length)
        raise RequestError(413, too_large(limit, f"{length:,} bytes"))
    body = stream.read(length)
    if len(body) < length:
        raise RequestError(400, f"body ended after {len(body):,} of {length:,} bytes")
    return body


def _read_chunked(stream: Stream, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise RequestError(400, "malformed chunked request body") from None
        if size == 0:
            while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > limit:
            raise RequestError(413, too_large(limit, "more"))
        chunks.append(stream.read(size))
        stream.readline(1024)


def drain(stream: Stream, length: int) -> bool:
    """Read and drop ``length`` bytes so the client can read our answer; False if not done."""
    if length > DRAIN_LIMIT:
        return False  # not worth the wait: the connection closes, the client may see a reset
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, 1 << 16))
            if not chunk:
                return False
            remaining -= len(chunk)
    except OSError:
        return False
    return True


def too_large(limit: int, actual: str) -> str:
    return f"the body is {actual}, over the limit of {limit:,} bytes (--max-upload-mb)"
