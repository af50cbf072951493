"""The HTTP layer of ``digits-serve``, on the standard library's threading HTTP server.

Why the standard library: it adds nothing to install on a Raspberry Pi (no
wheels to find for armv7), idles in less memory than any framework, and a
handful of routes need no more (figures in the README). What a framework
would have done for us is done here, deliberately and tested: a body limit
checked before reading (413), JSON errors for everything the base class would
answer in HTML, no 5xx for any client mistake, socket timeouts, and a bound
on concurrent connections.

Routes: ``GET /`` (the page), ``GET /static/<asset>``, ``GET /api/health`` (no
token), ``POST /api/classify``, ``POST /api/read-number``, ``GET /api/latest``,
``GET /api/model``, ``GET /stream.mjpg``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from edge_runtime.errors import DigitsError
from edge_runtime.serve.api import DigitsApi
from edge_runtime.serve.auth import authorized, login_cookie, same_token
from edge_runtime.serve.bodies import drain, read_body
from edge_runtime.serve.live import LiveFeed
from edge_runtime.serve.uploads import RequestError, image_bytes

log = logging.getLogger("digits-serve")

MJPEG_BOUNDARY = "digitsframe"
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'"
    ),
}


@dataclass(frozen=True)
class ServerLimits:
    """The server's guards; every field has a safe default."""

    max_body_bytes: int = 10 * 1024 * 1024
    """Largest request body accepted (413 above it)."""
    token: str | None = None
    """When set, every route but /api/health needs ``Authorization: Bearer <token>``."""
    max_connections: int = 64
    """Connections served at once; more wait in the listen queue."""
    socket_timeout_s: float = 30.0
    """A client silent for this long is dropped (slow uploads, stalled streams)."""


def load_static() -> dict[str, tuple[bytes, str]]:
    """The page's assets from package data, read once: name → (content, content type)."""
    folder = resources.files("edge_runtime") / "serve" / "static"
    assets = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in _STATIC_TYPES:
            assets[entry.name] = (entry.read_bytes(), _STATIC_TYPES[suffix])
    return assets


class DigitsServer(ThreadingHTTPServer):
    """A threading HTTP server holding the API, the live feed and the limits."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        api: DigitsApi,
        *,
        limits: ServerLimits = ServerLimits(),
        live: LiveFeed | None = None,
    ) -> None:
        self.api = api
        self.limits = limits
        self.live = live
        self.assets = load_static()
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        super().__init__(address, DigitsHandler)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        return f"http://{host}:{port}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("connection from %s failed", client_address[0])


class DigitsHandler(BaseHTTPRequestHandler):
    """One connection: routes requests to :class:`DigitsApi` and answers JSON."""

    server: DigitsServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "digits-serve"

    def setup(self) -> None:
        self.timeout = self.server.limits.socket_timeout_s  # type: ignore[misc]
        super().setup()

    # -- responses -----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json", headers)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": message}, headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's errors (bad request line, huge headers …) as JSON, never 5xx."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} not allowed"
        elif code >= 500:
            code = HTTPStatus.BAD_REQUEST
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # unparsable request line: answer with headers
            self.request_version = "HTTP/1.0"
        phrase = HTTPStatus(code).phrase
        with contextlib.suppress(OSError):
            self._error(code, message or phrase)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- request plumbing ----------------------------------------------------------------------

    def _authorized(self) -> bool:
        return authorized(
            self.server.limits.token, self.headers.get("Authorization"), self.headers.get("Cookie")
        )

    def _read_body(self) -> bytes:
        """The request body, refused with 413 when over the limit (checked before reading)."""
        try:
            return read_body(self.rfile, self.headers, self.server.limits.max_body_bytes)
        except RequestError:
            self.close_connection = True
            raise

    def _discard_body(self) -> None:
        """Before refusing a request: drop its unread body, or close if it has no length."""
        raw_length = self.headers.get("Content-Length", "0")
        fits = raw_length.isdigit() and int(raw_length) <= self.server.limits.max_body_bytes
        chunked = "Transfer-Encoding" in self.headers
        if chunked or not (fits and drain(self.rfile, int(raw_length))):
            self.close_connection = True

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        try:
            if (method, path) == ("GET", "/api/health"):
                self._json(200, {"status": "ok"})
            elif (method, path) == ("GET", "/") and "token" in query:
                self._token_login(query["token"][-1])
            elif not self._authorized():
                self._discard_body()
                self._error(
                    401,
                    "missing or wrong token: send 'Authorization: Bearer <token>' "
                    "(or open the page as /?token=<token>)",
                    {"WWW-Authenticate": 'Bearer realm="digits-serve"'},
                )
            elif (method, path) in _ROUTES:
                _ROUTES[method, path](self, query)
            elif method == "GET" and path.startswith("/static/"):
                self._static(path.removeprefix("/static/"))
            else:
                self._discard_body()
                if path in _KNOWN_PATHS:
                    self._error(405, f"method {method} not allowed on {path}")
                else:
                    self._error(404, f"no route {path}")
        except RequestError as e:
            self._error(e.status, str(e))
        except DigitsError as e:
            self._error(400, str(e))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            log.exception("%s %s failed", method, path)
            self.close_connection = True
            self._error(500, "internal error (logged on the server)")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_OPTIONS(self) -> None:
        self._route("OPTIONS")

    # -- routes --------------------------------------------------------------------------------

    def _token_login(self, token: str) -> None:
        """``/?token=T`` (what a browser can open): set the token cookie, go to the page."""
        expected = self.server.limits.token
        if expected and not same_token(token, expected):
            self._error(401, "wrong token in ?token=")
            return
        headers = {"Location": "/"}
        if expected:
            headers["Set-Cookie"] = login_cookie(expected)
        self._send(303, b"", "text/plain", headers)

    def _page(self, query: dict[str, list[str]]) -> None:
        self._static("index.html")

    def _static(self, name: str) -> None:
        asset = self.server.assets.get(name)  # a fixed set read at start: no paths from requests
        if asset is None:
            self._error(404, f"no asset {name!r}")
            return
        self._send(200, asset[0], asset[1])

    def _classify(self, query: dict[str, list[str]]) -> None:
        data = image_bytes(self._read_body(), self.headers.get("Content-Type"))
        self._json(200, self.server.api.classify(data, debug=_flag(query, "debug")))

    def _read_number(self, query: dict[str, list[str]]) -> None:
        data = image_bytes(self._read_body(), self.headers.get("Content-Type"))
        self._json(200, self.server.api.read_number(data, debug=_flag(query, "debug")))

    def _model(self, query: dict[str, list[str]]) -> None:
        info = self.server.api.model_info()
        info["live_source"] = self.server.live.name if self.server.live else None
        self._json(200, info)

    def _latest(self, query: dict[str, list[str]]) -> None:
        if self.server.live is None:
            self._error(404, _NO_LIVE)
            return
        self._json(200, self.server.live.latest())

    def _stream(self, query: dict[str, list[str]]) -> None:
        live = self.server.live
        if live is None:
            self._error(404, _NO_LIVE)
            return
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        frame_id = -1
        while not live.stopped:
            frame_id, jpeg = live.next_jpeg(frame_id, timeout=5.0)
            if jpeg is None:
                continue
            self.wfile.write(
                f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(jpeg)}\r\n\r\n".encode("ascii")
                + jpeg
                + b"\r\n"
            )
            self.wfile.flush()


_NO_LIVE = "no live source: start digits-serve with --camera N or --video FILE"
_ROUTES = {
    ("GET", "/"): DigitsHandler._page,
    ("GET", "/index.html"): DigitsHandler._page,
    ("POST", "/api/classify"): DigitsHandler._classify,
    ("POST", "/api/read-number"): DigitsHandler._read_number,
    ("GET", "/api/model"): DigitsHandler._model,
    ("GET", "/api/latest"): DigitsHandler._latest,
    ("GET", "/stream.mjpg"): DigitsHandler._stream,
}
_KNOWN_PATHS = {path for _, path in _ROUTES} | {"/api/health"}  # health: before the token check


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["0"])[-1].lower() in ("1", "true", "yes", "on")
