"""digits-serve's figures: throughput and latency on one core, memory, page weight, live FPS.

    python -m benchmarks.serve_figures [--requests 400] [--json]

The server runs as ``digits-serve --workers 1 --threads 1`` pinned to CPU 0;
this process, the client, is pinned to CPU 1 (so the client does not steal
the server's core). Clients keep their connection open (HTTP/1.1 keep-alive).

1. one client: requests per second and p50/p99 latency for POST /api/classify of
   a 640×480 JPEG (a real MNIST test digit on a camera-like page), and the server's
   CPU time per request (user + system, from /proc), which a busy machine does not
   inflate: 1000 / that is what one free core sustains;
2. four clients at once: the same, and the server's peak RSS while loaded
   (idle RSS is read before the first request);
3. page weight: the bytes of ``/`` and its assets (no compression);
4. live view: ``--video`` of 640×480 frames declared at 120 FPS (so the loop, not
   the video's pace, is the limit): the FPS the server reports, its per-frame time,
   and the MJPEG frames per second a viewer actually receives.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import numpy as np

from edge_runtime.clikit import command, data_dir_option, int_option, json_option

SERVER_CPU, CLIENT_CPU = 0, 1


@contextlib.contextmanager
def serving(*args: str) -> Iterator[tuple[int, int]]:
    """``digits-serve --port 0 ARGS`` pinned to one CPU; yields (port, pid)."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read while the server writes, closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "edge_runtime.serve.cli", "--port", "0", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CPU}),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            log.seek(0)
            found = re.search(rb"serving http://127\.0\.0\.1:(\d+)/", log.read())
            if found:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"digits-serve did not start: {log.read().decode()}")
            time.sleep(0.1)
        yield int(found.group(1)), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", status)
    if match is None:
        raise RuntimeError(f"no VmRSS line in /proc/{pid}/status")
    return int(match.group(1)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post_many(port: int, body: bytes, count: int) -> list[float]:
    """``count`` POSTs on one keep-alive connection; each one's latency in ms."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("POST", "/api/classify", body, {"Content-Type": "image/jpeg"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"classify answered {response.status}")
    connection.close()
    return latencies


def throughput(port: int, pid: int, body: bytes, requests: int, clients: int) -> dict[str, Any]:
    """Requests/s and latency percentiles with ``clients`` concurrent connections."""
    _post_many(port, body, 20)  # warm-up
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak.append(rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        parts = list(
            pool.map(lambda _: _post_many(port, body, requests // clients), range(clients))
        )
    elapsed = time.perf_counter() - started
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000
    done.set()
    sampler.join()
    latencies = np.concatenate(parts)
    return {
        "clients": clients,
        "requests": int(latencies.size),
        "requests_per_s": round(latencies.size / elapsed, 1),
        # load-independent: the server's CPU time per request, and what one free core allows
        "server_cpu_ms_per_request": round(cpu_ms / latencies.size, 2),
        "requests_per_s_per_free_core": round(latencies.size * 1000 / cpu_ms, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "peak_rss_mb": round(max(peak), 1),
    }


def page_weight(port: int) -> dict[str, int]:
    sizes = {}
    for path in ("/", "/static/app.js", "/static/style.css"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path)
        sizes[path] = len(connection.getresponse().read())
        connection.close()
    return {**sizes, "total_bytes": sum(sizes.values())}


def live_view(frames: list[np.ndarray], seconds: float = 10.0) -> dict[str, Any]:
    """Server-reported FPS/per-frame time and MJPEG frames/s received, for a 120 FPS video."""
    import cv2

    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "clip.avi")
        writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"MJPG"), 120, (640, 480))
        for frame in frames:
            writer.write(frame)
        writer.release()
        with serving("--video", path, "--threads", "1") as (port, _):
            time.sleep(3)  # past start-up
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/stream.mjpg")
            stream = connection.getresponse()
            received, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                received += stream.read1(1 << 16).count(b"Content-Type: image/jpeg")
            mjpeg_fps = received / (time.perf_counter() - started)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/latest")
            latest = json.loads(connection.getresponse().read())
            connection.close()
    return {
        "frame_size": "640x480",
        "server_fps": latest["fps"],
        "per_frame_ms": latest["process_ms"],
        "mjpeg_fps_received": round(mjpeg_fps, 1),
    }


@command()
@int_option("--requests", 400, "Requests per throughput run.", min=20)
@data_dir_option()
@json_option()
def main(requests: int, data_dir: Path | None, as_json: bool) -> None:
    """Measure digits-serve on one core: req/s, p50/p99, RSS, page weight, live FPS."""
    import cv2

    from benchmarks.synthetic import camera_page
    from trainer.data import load_mnist

    if len(os.sched_getaffinity(0)) < 2:
        raise click.ClickException("needs two CPUs: one for the server, one for the client")
    os.sched_setaffinity(0, {CLIENT_CPU})
    data = load_mnist(data_dir)
    page = camera_page(data.test.images[0], seed=0)
    body = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    figures: dict[str, Any] = {"jpeg_bytes": len(body), "load_average": os.getloadavg()[0]}
    with serving("--workers", "1", "--threads", "1") as (port, pid):
        time.sleep(1)
        figures["idle_rss_mb"] = round(rss_mb(pid), 1)
        figures["page"] = page_weight(port)
        figures["one_client"] = throughput(port, pid, body, requests, 1)
        figures["four_clients"] = throughput(port, pid, body, requests, 4)
    frames = [camera_page(data.test.images[i], seed=i) for i in range(30)]
    figures["live"] = live_view(frames)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    one, four, live = figures["one_client"], figures["four_clients"], figures["live"]
    click.echo(f"POST /api/classify, 640×480 JPEG ({len(body):,} B), server on 1 core:")
    for run in (one, four):
        click.echo(
            f"  {run['clients']} client(s): {run['requests_per_s']} req/s, "
            f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, peak RSS {run['peak_rss_mb']} MB; "
            f"server CPU {run['server_cpu_ms_per_request']} ms/request = "
            f"{run['requests_per_s_per_free_core']} req/s on a free core"
        )
    click.echo(f"(load average {figures['load_average']:.1f} when measured)")
    click.echo(f"idle RSS {figures['idle_rss_mb']} MB")
    click.echo(f"page weight {figures['page']['total_bytes'] / 1024:.1f} KB (uncompressed)")
    click.echo(
        f"live view 640×480 on 1 core: {live['server_fps']} FPS, "
        f"{live['per_frame_ms']} ms per frame, {live['mjpeg_fps_received']} MJPEG frames/s received"
    )


if __name__ == "__main__":
    main()
