"""digits-serve's live panel: a recorded video as the camera, a camera that goes away, the CLI."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from edge_runtime.results import NumberReading
from edge_runtime.schema import reading_json
from edge_runtime.serve import cli as serve_cli
from edge_runtime.serve.httpd import MJPEG_BOUNDARY
from tests.serving import (
    Client,
    digit_clip,
    png,
    reference_digits,
    running_server,
    unplugged_camera_server,
    wait_s,
)

REFERENCE = reference_digits()  # 100 real MNIST test digits shipped with the runtime


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, set[str]]:
    return digit_clip(tmp_path_factory.mktemp("clip") / "digits.avi")


def mjpeg_frames(server: Client, count: int, timeout: float = 20.0) -> list[bytes]:
    """The first ``count`` JPEGs of /stream.mjpg."""
    import http.client

    timeout = wait_s(timeout)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    connection.request("GET", "/stream.mjpg")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("multipart/x-mixed-replace")
    frames, buffer = [], b""
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        buffer += response.read1(65536)
        while True:
            start = buffer.find(b"\r\n\r\n", buffer.find(f"--{MJPEG_BOUNDARY}".encode()))
            head = buffer[:start]
            if start < 0 or b"Content-Length" not in head:
                break
            length = int(head.rsplit(b"Content-Length: ", 1)[1].split(b"\r\n")[0])
            if len(buffer) < start + 4 + length:
                break
            frames.append(buffer[start + 4 : start + 4 + length])
            buffer = buffer[start + 4 + length :]
    connection.close()
    return frames[:count]


def test_video_as_the_camera(tmp_path, clip) -> None:
    path, labels = clip
    with running_server(tmp_path, "--video", str(path)) as server:
        assert server.request("GET", "/api/model").json["live_source"] == "video digits.avi"
        frames = mjpeg_frames(server, 5)
        assert len(frames) == 5
        decoded = cv2.imdecode(np.frombuffer(frames[-1], np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == (480, 640, 3)
        seen, latest = set(), {}
        deadline = time.monotonic() + wait_s(20)
        while seen != labels and time.monotonic() < deadline:  # the clip lasts 3 s and loops
            latest = server.request("GET", "/api/latest").json
            if latest["reading"] and latest["reading"]["number"]:
                seen.add(latest["reading"]["number"])
            time.sleep(0.1)
        assert seen == labels
        assert latest["status"] == "live" and latest["frame"] > 10
        # paced at the video's 10 FPS, not as fast as possible (a lower bound would only
        # measure the machine: under qemu on 32-bit ARM the loop reads ~2 FPS)
        assert 0 < latest["fps"] < 15
        assert latest["process_ms"] > 0
        assert set(latest["reading"]) == set(reading_json(NumberReading()))  # --json's schema
        # the rest keeps working while the live loop runs
        answer = server.post("/api/classify", png(np.zeros((28, 28), np.uint8)))
        assert answer.status == 200


def test_camera_lost_while_the_rest_keeps_working() -> None:
    with unplugged_camera_server(REFERENCE.images[0], good=5) as (client, opened):
        deadline = time.monotonic() + wait_s(10)
        latest = {}
        while time.monotonic() < deadline:
            latest = client.request("GET", "/api/latest").json
            if latest["status"] == "lost" and len(opened) > 2:
                break
            time.sleep(0.05)
        assert latest["status"] == "lost"
        assert "cannot open camera 0" in latest["error"]
        assert latest["frame"] == 5
        assert latest["reading"]["number"] == str(int(REFERENCE.labels[0]))  # the last reading
        card = mjpeg_frames(client, 1)[0]  # the stream shows a "camera lost" card, not nothing
        assert cv2.imdecode(np.frombuffer(card, np.uint8), cv2.IMREAD_COLOR).shape == (480, 640, 3)
        answer = client.post("/api/classify", png(REFERENCE.images[1]))
        assert answer.status == 200 and answer.json["digit"] == int(REFERENCE.labels[1])


def test_missing_camera_fails_at_start_with_one_line() -> None:
    result = CliRunner().invoke(serve_cli.main, ["--camera", "9", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot open camera 9")
    assert "Traceback" not in result.output
    result = CliRunner().invoke(serve_cli.main, ["--video", "/nonexistent/clip.mp4"])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_cli_warns_when_not_on_loopback(monkeypatch) -> None:
    class Stub:
        url, live = "http://0.0.0.0:8000/", None

        class api:
            model_path = Path("digits_int8.tflite")

            class pool:
                class first:
                    backend = "ai_edge_litert"

        def serve_forever(self, poll_interval: float) -> None:
            raise KeyboardInterrupt

        def server_close(self) -> None:
            pass

    seen = {}
    monkeypatch.setattr(serve_cli, "build_server", lambda **kw: seen.update(kw) or Stub())
    result = CliRunner().invoke(serve_cli.main, ["--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "WARNING: listening on 0.0.0.0, reachable from the network" in result.output
    assert "set --token" in result.output
    result = CliRunner().invoke(serve_cli.main, [], env={"DIGITS_SERVE_TOKEN": "t0k"})
    assert "WARNING" not in result.output and seen["token"] == "t0k"
    assert seen["host"] == "127.0.0.1" and seen["max_body_bytes"] == 10 * 1024 * 1024
    assert [serve_cli.is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0")] == [
        True,
        True,
        True,
        False,
    ]
