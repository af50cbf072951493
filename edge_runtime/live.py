"""The live loop: frames in, readings out — the same code for webcams, the Pi camera and videos.

Library code: it yields results and never prints; ``digits-classify`` decides
whether to draw them in a window or print them (headless, e.g. over SSH).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from edge_runtime.camera import FrameSource
from edge_runtime.classifier import DigitClassifier
from edge_runtime.results import NumberReading, Rejected


@dataclass(frozen=True)
class LiveOptions:
    """How the loop samples frames."""

    every: int = 1
    """Classify every Nth frame (the others are only read, keeping the camera buffer fresh)."""
    max_frames: int | None = None
    """Stop after this many classified frames (None: until the source ends or the user quits)."""


@dataclass(frozen=True)
class FrameResult:
    """One classified frame: its index in the stream, what was read, and the loop's speed.

    ``model_inputs`` are the 28×28 images the model saw, one per digit (for debugging views).
    """

    index: int
    frame: np.ndarray
    reading: NumberReading
    fps: float
    process_ms: float
    model_inputs: tuple[np.ndarray, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    """Ink that was not read as digits, with reasons (shown in debug views)."""


def run_live(
    source: FrameSource, classifier: DigitClassifier, options: LiveOptions = LiveOptions()
) -> Iterator[FrameResult]:
    """Classify frames from ``source`` until it ends or ``options.max_frames`` is reached.

    ``fps`` is an exponential moving average of classified frames per second
    of wall time (reading + processing), what a user watching sees.
    """
    if options.every < 1:
        raise ValueError(f"every must be at least 1, got {options.every}")
    classified = 0
    index = -1
    fps = 0.0
    last = time.perf_counter()
    while options.max_frames is None or classified < options.max_frames:
        frame = source.read()
        if frame is None:
            return
        index += 1
        if index % options.every:
            continue
        started = time.perf_counter()
        inspection = classifier.inspect(frame)
        now = time.perf_counter()
        instant = 1.0 / max(now - last, 1e-6)
        fps = instant if classified == 0 else 0.9 * fps + 0.1 * instant
        last = now
        classified += 1
        yield FrameResult(
            index,
            frame,
            inspection.reading,
            fps,
            (now - started) * 1000,
            inspection.model_inputs,
            inspection.rejected,
        )
