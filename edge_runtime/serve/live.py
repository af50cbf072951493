"""The live panel's engine: a thread running the live loop and keeping the latest frame.

It owns its own :class:`DigitClassifier` (never shared with request threads),
encodes each classified frame with its overlay as JPEG for ``/stream.mjpg``
and keeps the latest reading for ``/api/latest``. When the camera goes away it
says "camera lost", keeps the last reading for reference and retries; the rest
of the server never notices. A video file stands in for a camera: it plays at
its own frame rate and starts again at its end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge_runtime.camera import FrameSource
from edge_runtime.classifier import DigitClassifier
from edge_runtime.errors import CameraError
from edge_runtime.live import FrameResult, LiveOptions, run_live
from edge_runtime.overlay import draw_overlay
from edge_runtime.schema import reading_json


@dataclass(frozen=True)
class FeedOptions:
    """How the live thread samples, paces and encodes frames."""

    every: int = 1
    """Classify every Nth frame."""
    pace_fps: float | None = None
    """Play at most this many frames per second (a video's own rate); None: as they come."""
    loop: bool = True
    """Start a video again when it ends (a camera never ends)."""
    retry_s: float = 2.0
    """Seconds between attempts to reopen a lost camera."""
    jpeg_quality: int = 80
    """Quality of the MJPEG frames (0-100)."""


@dataclass
class _State:
    status: str = "starting"
    error: str | None = None
    frame_id: int = 0
    jpeg: bytes | None = None
    reading: dict[str, Any] | None = None
    fps: float = 0.0
    process_ms: float = 0.0
    frames: int = 0
    updated: float = field(default_factory=time.time)


class LiveFeed:
    """Runs ``run_live`` on frames from ``open_source()`` in a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        classifier: DigitClassifier,
        name: str,
        options: FeedOptions = FeedOptions(),
    ) -> None:
        self.name = name
        self.options = options
        self._open_source = open_source
        self._classifier = classifier
        self._state = _State()
        self._last_shown: float | None = None
        self._next_due: float | None = None
        self._changed = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="digits-live", daemon=True)

    def start(self) -> LiveFeed:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    # -- what the routes read ------------------------------------------------------------------

    def latest(self) -> dict[str, Any]:
        """The current status, reading, FPS and per-frame time (``/api/latest``)."""
        with self._changed:
            state = self._state
            return {
                "source": self.name,
                "status": state.status,
                "error": state.error,
                "frame": state.frames,
                "fps": round(state.fps, 2),
                "process_ms": round(state.process_ms, 3),
                "reading": state.reading,
                "updated": round(state.updated, 3),
            }

    def next_jpeg(self, after: int, timeout: float) -> tuple[int, bytes | None]:
        """Wait up to ``timeout`` s for a frame newer than ``after``; (its id, its JPEG)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._state.frame_id != after or self._stopped.is_set(), timeout
            )
            return self._state.frame_id, self._state.jpeg

    # -- the thread ----------------------------------------------------------------------------

    def _publish(self, **changes: Any) -> None:
        with self._changed:
            for key, value in changes.items():
                setattr(self._state, key, value)
            self._state.updated = time.time()
            self._changed.notify_all()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                with self._open_source() as source:
                    self._play(source)
                if not self.options.loop:
                    self._publish(status="ended", error=None)
                    return
            except CameraError as e:
                self._lose(str(e))
            except Exception as e:  # a live-loop bug must not take the server down
                self._lose(f"live loop failed: {type(e).__name__}: {e}")

    def _lose(self, message: str) -> None:
        self._last_shown = None
        self._publish(
            status="lost",
            error=message,
            frame_id=self._state.frame_id + 1,
            jpeg=_card_jpeg(f"camera lost: {message}", self.options.jpeg_quality),
            fps=0.0,
        )
        self._stopped.wait(self.options.retry_s)

    def _play(self, source: FrameSource) -> None:
        """Show every classified frame; a video waits for each frame's time, across restarts."""
        interval = self.options.every / self.options.pace_fps if self.options.pace_fps else 0.0
        for result in run_live(source, self._classifier, LiveOptions(every=self.options.every)):
            if interval:
                now = time.perf_counter()
                due = self._next_due if self._next_due is not None else now
                if due > now:
                    self._stopped.wait(due - now)
                # behind (a slow frame): start the clock again rather than rush to catch up
                self._next_due = max(due, time.perf_counter() - interval) + interval
            if self._stopped.is_set():
                return
            self._show(result)

    def _show(self, result: FrameResult) -> None:
        # FPS over what is shown, across video restarts (run_live's own restarts per source)
        now = time.perf_counter()
        fps = self._state.fps
        if self._last_shown is not None:
            instant = 1.0 / max(now - self._last_shown, 1e-6)
            fps = instant if fps == 0.0 else 0.9 * fps + 0.1 * instant
        self._last_shown = now
        overlay = draw_overlay(result.frame, result.reading, fps)
        ok, encoded = cv2.imencode(
            ".jpg", overlay, [cv2.IMWRITE_JPEG_QUALITY, self.options.jpeg_quality]
        )
        self._publish(
            status="live",
            error=None,
            frame_id=self._state.frame_id + 1,
            jpeg=encoded.tobytes() if ok else self._state.jpeg,
            reading=reading_json(result.reading),
            fps=fps,
            process_ms=result.process_ms,
            frames=self._state.frames + 1,
        )


def _card_jpeg(text: str, quality: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A dark frame with ``text`` on it, shown in place of the video while there is none."""
    width, height = size
    card = np.full((height, width, 3), 40, np.uint8)
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 44 and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for row, content in enumerate(lines[:6]):
        cv2.putText(
            card,
            content,
            (20, 200 + 32 * row),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.7,
            (80, 80, 240) if row == 0 else (230, 230, 230),
            2,
            cv2.LINE_AA,
        )
    ok, encoded = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return encoded.tobytes() if ok else b""


def video_fps(path: str, default: float = 25.0) -> float:
    """The frame rate a video file declares (``default`` when it declares none)."""
    capture = cv2.VideoCapture(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        capture.release()
    return fps if 0.5 <= fps <= 240 else default
