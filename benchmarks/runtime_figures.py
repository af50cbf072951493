"""The edge runtime's own figures, each measured as a ratio or in a fresh process.

    python -m benchmarks.runtime_figures [--json] [--pages 1000] [--frames 300]

1. start-up: ``import edge_runtime`` + loading the bundled model, time and peak RSS, in a
   fresh process, beside ``import tensorflow`` in another fresh process;
2. overhead: ``DigitClassifier.classify`` on an already-28×28 image vs the bare interpreter
   (set_tensor, invoke, get_tensor), interleaved call by call;
3. live loop: frames per second of ``run_live`` on 640×480 camera-like frames, pinned to one
   core with one interpreter thread;
4. accuracy: camera-like pages vs the same MNIST test digits, same model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from edge_runtime.clikit import command, data_dir_option, int_option, json_option
from trainer.tfenv import quiet_tensorflow

_STARTUP = """
import time, json, sys
started = time.perf_counter()
{body}
elapsed = time.perf_counter() - started
hwm = 0
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        hwm = int(line.split()[1]) / 1024
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": hwm,
                  "tensorflow_loaded": 'tensorflow' in sys.modules}}))
"""


def startup(body: str) -> dict[str, Any]:
    """Run ``body`` in a fresh interpreter; its wall time and peak RSS (best of 3 for time)."""
    results = []
    for _ in range(3):
        run = subprocess.run(
            [sys.executable, "-c", _STARTUP.format(body=body)],
            capture_output=True,
            text=True,
            timeout=300,
            env=quiet_tensorflow(dict(os.environ)),
        )
        if run.returncode != 0:
            return {"error": run.stderr.strip().splitlines()[-1] if run.stderr else "failed"}
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    best = min(results, key=lambda r: r["seconds"])
    return {
        "seconds": round(best["seconds"], 4),
        "peak_rss_mb": round(best["peak_rss_mb"], 1),
        "tensorflow_loaded": best["tensorflow_loaded"],
    }


def overhead(images: np.ndarray, rounds: int = 5) -> dict[str, float]:
    """Median time of classify() vs bare invoke on the same 28×28 images, interleaved."""
    from edge_runtime import DigitClassifier

    classifier = DigitClassifier(num_threads=1)
    model = classifier.model
    batches = [image[np.newaxis] for image in images]
    for image, batch in zip(images[:50], batches[:50], strict=False):
        classifier.classify(image)
        model.invoke_raw(batch)
    ours, bare = [], []
    for _ in range(rounds):
        for image, batch in zip(images, batches, strict=True):
            started = time.perf_counter()
            model.invoke_raw(batch)
            middle = time.perf_counter()
            classifier.classify(image)
            ended = time.perf_counter()
            bare.append(middle - started)
            ours.append(ended - middle)
    bare_us, ours_us = np.median(bare) * 1e6, np.median(ours) * 1e6
    return {
        "bare_invoke_us": round(float(bare_us), 2),
        "classify_us": round(float(ours_us), 2),
        "ratio": round(float(ours_us / bare_us), 3),
        "calls": len(ours),
    }


class _Frames:
    """An in-memory camera: cycles pre-generated frames (no camera on CI machines)."""

    name = "synthetic camera"

    def __init__(self, frames: list[np.ndarray], count: int) -> None:
        self.frames, self.count, self.served = frames, count, 0

    def read(self) -> np.ndarray | None:
        if self.served >= self.count:
            return None
        self.served += 1
        return self.frames[self.served % len(self.frames)]

    def close(self) -> None:
        pass

    def __enter__(self) -> _Frames:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def live_fps(frames: list[np.ndarray], count: int) -> dict[str, Any]:
    """Frames per second of the live loop on one core (affinity) with one interpreter thread."""
    import cv2

    from edge_runtime import DigitClassifier
    from edge_runtime.live import run_live

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    classifier = DigitClassifier(num_threads=1)
    for frame in frames[:10]:
        classifier.read_number(frame)
    started = time.perf_counter()
    seen = sum(1 for _ in run_live(_Frames(frames, count), classifier))
    elapsed = time.perf_counter() - started
    return {
        "frames": seen,
        "seconds": round(elapsed, 3),
        "fps": round(seen / elapsed, 1),
        "frame_size": f"{frames[0].shape[1]}x{frames[0].shape[0]}",
        "cores": 1,
    }


def camera_accuracy(images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy on camera-like pages of the given digits vs on the digits themselves."""
    from benchmarks.synthetic import camera_set
    from edge_runtime import DigitClassifier

    classifier = DigitClassifier()
    pages, _ = camera_set(images, labels, len(images), seed=21)
    camera = np.mean(
        [classifier.classify(p).digit == y for p, y in zip(pages, labels, strict=True)]
    )
    direct = np.mean(
        [classifier.classify(i).digit == y for i, y in zip(images, labels, strict=True)]
    )
    return {
        "pages": len(pages),
        "camera_accuracy": round(float(camera), 4),
        "mnist_accuracy": round(float(direct), 4),
        "gap_pp": round(float(direct - camera) * 100, 2),
    }


@command()
@int_option("--pages", 1000, "Camera-like pages for the accuracy figure.", min=10)
@int_option("--frames", 300, "Frames for the live-loop FPS figure.", min=10)
@data_dir_option()
@json_option()
def main(pages: int, frames: int, data_dir: Path | None, as_json: bool) -> None:
    """Measure the edge runtime's start-up, overhead, live FPS and camera accuracy."""
    from benchmarks.synthetic import camera_set
    from trainer.data import load_mnist

    data = load_mnist(data_dir)
    figures: dict[str, Any] = {
        "startup_edge_runtime": startup(
            "from edge_runtime import DigitClassifier\nDigitClassifier()"
        ),
        "startup_import_tensorflow": startup("import tensorflow"),
        "overhead_28x28": overhead(data.test.images[:1000]),
        "camera": camera_accuracy(data.test.images[:pages], data.test.labels[:pages]),
    }
    live_frames, _ = camera_set(data.test.images[:30], data.test.labels[:30], 30, seed=3)
    figures["live_loop"] = live_fps(live_frames, frames)  # last: it pins this process to 1 core
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    edge, tf = figures["startup_edge_runtime"], figures["startup_import_tensorflow"]
    click.echo(
        f"start-up, import edge_runtime + load model: {edge.get('seconds')} s, "
        f"{edge.get('peak_rss_mb')} MB peak RSS (TensorFlow loaded: "
        f"{edge.get('tensorflow_loaded')})"
    )
    click.echo(
        f"start-up, import tensorflow:                 {tf.get('seconds')} s, "
        f"{tf.get('peak_rss_mb')} MB peak RSS"
    )
    cost = figures["overhead_28x28"]
    click.echo(
        f"classify(28×28) {cost['classify_us']} µs vs bare invoke {cost['bare_invoke_us']}"
        f" µs: {cost['ratio']}×"
    )
    live = figures["live_loop"]
    click.echo(f"live loop {live['frame_size']} on 1 core: {live['fps']} FPS")
    cam = figures["camera"]
    click.echo(
        f"camera pages {cam['camera_accuracy']:.2%} vs MNIST {cam['mnist_accuracy']:.2%}"
        f" on the same {cam['pages']} digits (gap {cam['gap_pp']} pp)"
    )


if __name__ == "__main__":
    main()
