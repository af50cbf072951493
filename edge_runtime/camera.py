"""Frame sources: webcams (OpenCV), the Raspberry Pi camera (picamera2) and video files.

Every source is a context manager yielding ``uint8`` frames from :meth:`read`:
BGR (OpenCV's colour order) from webcams and videos, gray ``(H, W)`` from the Pi
camera (its lores Y plane), ``None`` at the end of a video file. A camera
that cannot be opened, or stops delivering frames mid-stream (unplugged), raises
:class:`~edge_runtime.errors.CameraError` with a clear message.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from edge_runtime.errors import CameraError
from edge_runtime.native_log import captured_native_stderr


class FrameSource(Protocol):
    """Anything :func:`~edge_runtime.live.run_live` can pull frames from."""

    name: str

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(self, *exc: object) -> None: ...


class OpenCVSource:
    """A ``cv2.VideoCapture`` on a camera index or a video file.

    For a camera, ``max_failures`` consecutive failed reads (about a second)
    mean it was unplugged or died; for a file, a failed read is the end.
    """

    def __init__(
        self,
        target: int | str,
        *,
        width: int | None = None,
        height: int | None = None,
        max_failures: int = 30,
        retry_delay_s: float = 0.03,
    ) -> None:
        from edge_runtime.opencv import cv2

        self.is_file = isinstance(target, str)
        self.name = f"video {target}" if self.is_file else f"camera {target}"
        if self.is_file and not Path(str(target)).is_file():
            raise CameraError(f"video file {target} does not exist")
        with captured_native_stderr():  # OpenCV's V4L2/FFmpeg warnings
            self._capture = cv2.VideoCapture(target)
            opened = self._capture.isOpened()
        if not opened:
            self._capture.release()
            hint = (
                "is it a video OpenCV can decode?"
                if self.is_file
                else "is it connected, and not in use by another program? (ls /dev/video*)"
            )
            raise CameraError(f"cannot open {self.name}: {hint}")
        if width and not self.is_file:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height and not self.is_file:
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._max_failures = max_failures
        self._retry_delay_s = retry_delay_s
        self._frames_read = 0

    def read(self) -> np.ndarray | None:
        """The next BGR frame; None at the end of a file; CameraError if a camera went away."""
        failures = 0
        while True:
            with captured_native_stderr():
                ok, frame = self._capture.read()
            if ok and frame is not None and frame.size:
                self._frames_read += 1
                return frame
            if self.is_file:
                if self._frames_read == 0:
                    raise CameraError(f"{self.name} holds no readable frames")
                return None
            failures += 1
            if failures >= self._max_failures:
                when = "mid-stream (unplugged?)" if self._frames_read else "from the start"
                raise CameraError(f"{self.name} stopped delivering frames {when}")
            time.sleep(self._retry_delay_s)

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> OpenCVSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PiCameraSource:
    """The Raspberry Pi camera through picamera2, as gray ``uint8`` ``(height, width)`` frames.

    OpenCV cannot open it on the libcamera stack. Frames come from picamera2's
    low-resolution ("lores") stream in YUV420, whose first ``height`` rows are the Y
    (luma) plane: the ISP delivers a gray image for free, so there is no RGB capture and
    no colour conversion per frame. picamera2 may round the size (the real one is
    :attr:`size`); rows are padded to a stride, which :meth:`read` crops away.

    ``camera_factory`` builds the camera from an index (``picamera2.Picamera2`` by
    default; tests pass a fake). ``read_timeout_s`` bounds each capture, so a camera that
    stops responding raises :class:`CameraError` instead of hanging.
    """

    def __init__(
        self,
        index: int = 0,
        *,
        width: int = 640,
        height: int = 480,
        read_timeout_s: float = 2.0,
        camera_factory: Callable[[int], Any] | None = None,
    ) -> None:
        self.name = f"Pi camera {index}"
        self._read_timeout_s = read_timeout_s
        self._camera: Any = None
        self._started = False
        if camera_factory is None:
            from picamera2 import Picamera2

            camera_factory = Picamera2
        try:
            self._camera = camera_factory(index)
            config = self._camera.create_preview_configuration(
                main={"size": (width, height)},
                lores={"size": (width, height), "format": "YUV420"},
            )
            self._camera.configure(config)
            self.size: tuple[int, int] = tuple(self._camera.stream_configuration("lores")["size"])
            self._camera.start()
            self._started = True
        except Exception as e:  # picamera2 raises IndexError/RuntimeError for missing cameras
            self.close()
            raise CameraError(f"cannot open {self.name}: {_camera_problem(e)}") from e

    def read(self) -> np.ndarray:
        """The next gray frame (the lores Y plane); CameraError if the camera went away."""
        try:
            yuv = self._camera.capture_array("lores", wait=self._read_timeout_s)
        except Exception as e:
            raise CameraError(f"{self.name} stopped delivering frames: {_camera_problem(e)}") from e
        width, height = self.size
        return np.ascontiguousarray(yuv[:height, :width])

    def close(self) -> None:
        """Stop and release the camera; safe to call twice and after a failed open."""
        camera, self._camera = self._camera, None
        if camera is None:
            return
        # Closing a failed camera must not hide the original error.
        with contextlib.suppress(Exception):
            if self._started:
                camera.stop()
        with contextlib.suppress(Exception):
            camera.close()

    def __enter__(self) -> PiCameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _camera_problem(error: BaseException) -> str:
    """picamera2's error in words a user can act on."""
    if isinstance(error, IndexError):
        return "no such camera (is it connected and enabled? rpicam-hello --list-cameras)"
    if isinstance(error, TimeoutError):
        return "no frame arrived in time (cable loose, or camera in use by another program?)"
    cause = error.__cause__
    text = str(error) or type(error).__name__
    return f"{text} ({cause})" if cause is not None and str(cause) else text


def picamera2_available() -> bool:
    """True where the picamera2 package (Raspberry Pi OS) is importable."""
    try:
        import picamera2  # noqa: F401
    except ImportError:
        return False
    return True


def open_camera(
    index: int = 0, *, width: int = 640, height: int = 480, use_picamera: bool | None = None
) -> FrameSource:
    """Open camera ``index``: picamera2 on a Raspberry Pi when installed, OpenCV otherwise."""
    if use_picamera is None:
        use_picamera = picamera2_available()
    if use_picamera:
        return PiCameraSource(index, width=width, height=height)
    return OpenCVSource(index, width=width, height=height)


def open_video(path: str | Path) -> FrameSource:
    """Open a recorded video file (.avi, .mp4, …) as a frame source."""
    return OpenCVSource(str(path))
