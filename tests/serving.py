"""Helpers for the digits-serve tests: a real server process on 127.0.0.1 and a tiny client."""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

#: Every wait in these tests only bounds how long to wait for something to happen, and ends as
#: soon as it does. Under emulation everything runs tens of times slower (the Raspberry Pi check,
#: tests/platforms/pi-check, sets DIGITS_TEST_WAIT_SCALE): the bounds grow, the checks do not.
WAIT_SCALE = float(os.environ.get("DIGITS_TEST_WAIT_SCALE", "1"))


def wait_s(seconds: float) -> float:
    """``seconds`` of waiting, scaled for an emulated machine by ``DIGITS_TEST_WAIT_SCALE``."""
    return seconds * WAIT_SCALE


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """A minimal HTTP client for a server on 127.0.0.1 (one connection per request)."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=wait_s(timeout))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def post(self, path: str, body: bytes, **headers: str) -> Answer:
        return self.request(
            "POST", path, body, {k.replace("_", "-"): v for k, v in headers.items()}
        )

    def raw(self, data: bytes, timeout: float = 10.0) -> bytes:
        """Send raw bytes on a fresh connection; the first response (head and body) back."""
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=wait_s(timeout)) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # nothing more comes: a short body ends here
            received = b""
            with contextlib.suppress(ConnectionResetError):
                while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
                    received += chunk
                head = received.split(b"\r\n\r\n", 1)[0]
                match = re.search(rb"(?i)content-length: *(\d+)", head)
                length = len(head) + 4 + int(match.group(1)) if match else None
                while (length is None or len(received) < length) and (chunk := sock.recv(65536)):
                    received += chunk
        return received


@dataclass
class ServerProcess(Client):
    process: subprocess.Popen | None = None
    log: Path | None = None

    def rss_kb(self) -> int:
        """The server's own resident memory now (kB): VmRSS, less the emulator's heap if emulated.

        Under qemu-user (tests/platforms/pi-check) the server's process is the emulator, and its
        VmRSS counts the emulator's own memory too. qemu 7.2's heap grows by ~170 kB for every
        thread started and joined, also for a do-nothing Python thread (natively: flat), and the
        server starts one thread per connection. That heap is the host process's ``[heap]``,
        which never holds the program's memory (qemu-user emulates the program's ``brk`` in
        mappings of its own), so it is subtracted; everything the program maps stays counted.
        """
        assert self.process is not None
        proc = Path(f"/proc/{self.process.pid}")
        status = (proc / "status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        if "qemu-" not in os.path.basename(os.readlink(proc / "exe")):
            return rss
        heap = re.search(r"\[heap\]\n(?:.*\n)*?Rss:\s+(\d+) kB", (proc / "smaps").read_text())
        return rss - (int(heap.group(1)) if heap else 0)


@contextlib.contextmanager
def running_server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90.0
) -> Iterator[ServerProcess]:
    """``digits-serve --port 0 ARGS`` in a subprocess; yields once it says where it listens."""
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    process_env = {**os.environ, **(env or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "edge_runtime.serve.cli", "--port", "0", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=process_env,
        )
    try:
        timeout = wait_s(timeout)
        deadline = time.monotonic() + timeout
        port = None
        while port is None:
            text = log.read_text(errors="replace")
            match = re.search(r"serving http://127\.0\.0\.1:(\d+)/", text)
            if match:
                port = int(match.group(1))
            elif process.poll() is not None:
                raise AssertionError(f"digits-serve exited {process.returncode}:\n{text}")
            elif time.monotonic() > deadline:
                raise AssertionError(f"digits-serve did not start in {timeout}s:\n{text}")
            else:
                time.sleep(0.1)
        yield ServerProcess(port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


def paper_photo(
    digits: list[np.ndarray], size: tuple[int, int] = (640, 480), seed: int = 0
) -> np.ndarray:
    """MNIST digits as dark ink on noisy light paper, side by side, in a BGR "photo"."""
    width, height = size
    rng = np.random.default_rng(seed)
    page = rng.normal(215, 6, (height, width)).clip(0, 255)
    side = min(200, (width - 40) // len(digits))
    for i, digit in enumerate(digits):
        ink = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float64)
        top, left = (height - side) // 2, 20 + i * side
        region = page[top : top + side, left : left + side]
        page[top : top + side, left : left + side] = region * (1 - ink / 255) + 30 * ink / 255
    return cv2.cvtColor(page.astype(np.uint8), cv2.COLOR_GRAY2BGR)


def digit_clip(path: Path, digits: int = 3, frames_each: int = 10) -> tuple[Path, set[str]]:
    """A 10 FPS MJPG video of the first ``digits`` reference digits on paper; its labels."""
    from tests.test_live import write_video

    reference = reference_digits()
    frames = []
    for i in range(digits):
        frames += [paper_photo([reference.images[i]], seed=i)] * frames_each
    labels = {str(int(label)) for label in reference.labels[:digits]}
    return write_video(path, frames, "MJPG"), labels


def multipart(fields: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type: name → (filename, content)."""
    boundary = "----digitsTestBoundary7MA4YWxkTrZu0gW"
    parts = []
    for name, (filename, content) in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class Digits:
    images: np.ndarray
    labels: np.ndarray


@functools.lru_cache(maxsize=1)
def reference_digits() -> Digits:
    """Real MNIST test digits bundled with the runtime (no DIGITS_DATA_DIR needed): those of
    the first 100 that the library itself reads right both as 28×28 and as a paper photo.

    (The set keeps some hard digits for the contract probe.) The server tests then check
    that the server answers right, and exactly what the library answers.
    """
    from edge_runtime import DigitClassifier
    from edge_runtime.probe import reference_digits as bundled

    images, labels = bundled()
    images, labels = images[:100], labels[:100]
    library = DigitClassifier()
    keep = [
        i
        for i, (image, label) in enumerate(zip(images, labels, strict=True))
        if library.classify(image).digit == label
        and library.classify(paper_photo([image], seed=i)).digit == label
    ]
    return Digits(images[keep], labels[keep])


class UnpluggedCamera:
    """A camera that delivers ``good`` frames, then fails like an unplugged USB camera."""

    def __init__(self, frame: np.ndarray, good: int) -> None:
        self.name, self.frame, self.left = "camera 0", frame, good

    def read(self) -> np.ndarray:
        from edge_runtime.errors import CameraError

        if self.left <= 0:
            raise CameraError("camera 0 stopped delivering frames mid-stream (unplugged?)")
        self.left -= 1
        time.sleep(0.02)
        return self.frame

    def close(self) -> None:
        pass

    def __enter__(self) -> UnpluggedCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@contextlib.contextmanager
def unplugged_camera_server(digit: np.ndarray, good: int) -> Iterator[tuple[Client, list[float]]]:
    """An in-process digits-serve whose camera shows ``digit`` for ``good`` frames, then is
    unplugged and stays so (each reopening fails); yields a client and the opening times."""
    from edge_runtime import DigitClassifier
    from edge_runtime.classifier import bundled_model_path
    from edge_runtime.errors import CameraError
    from edge_runtime.serve.api import ClassifierPool, DigitsApi
    from edge_runtime.serve.httpd import DigitsServer
    from edge_runtime.serve.live import FeedOptions, LiveFeed

    frame, opened = paper_photo([digit]), []

    def opener() -> UnpluggedCamera:
        opened.append(time.monotonic())
        if len(opened) > 1:  # still unplugged
            raise CameraError("cannot open camera 0: is it connected?")
        return UnpluggedCamera(frame, good)

    feed = LiveFeed(opener, DigitClassifier(), "camera 0", FeedOptions(retry_s=0.2)).start()
    api = DigitsApi(
        ClassifierPool(DigitClassifier), max_pixels=10**7, model_path=bundled_model_path()
    )
    server = DigitsServer(("127.0.0.1", 0), api, live=feed)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Client(server.server_address[1]), opened
    finally:
        server.shutdown()
        server.server_close()
        feed.stop()
        thread.join(5)
