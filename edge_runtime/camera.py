"""Frame sources: webcams (OpenCV), the Raspberry Pi camera (picamera2) and video files.

Every source is a context manager yielding BGR ``uint8`` frames (OpenCV's
colour order) from :meth:`read`, ``None`` at the end of a video file. A camera
that cannot be opened, or stops delivering frames mid-stream (unplugged), raises
:class:`~edge_runtime.errors.CameraError` with a clear message.
"""

from __future__ import annotations

import time
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
        import cv2

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
    """The Raspberry Pi camera through picamera2 (OpenCV cannot open it on the libcamera stack)."""

    def __init__(self, index: int = 0, *, width: int = 640, height: int = 480) -> None:
        from picamera2 import Picamera2

        self.name = f"Pi camera {index}"
        try:
            self._camera: Any = Picamera2(index)
            # picamera2's "RGB888" is laid out B, G, R in memory: exactly OpenCV's BGR.
            config = self._camera.create_preview_configuration(
                main={"format": "RGB888", "size": (width, height)}
            )
            self._camera.configure(config)
            self._camera.start()
        except Exception as e:  # picamera2 raises RuntimeError/IndexError for missing cameras
            raise CameraError(f"cannot open {self.name}: {e}") from e

    def read(self) -> np.ndarray | None:
        try:
            return np.ascontiguousarray(self._camera.capture_array("main"))
        except Exception as e:
            raise CameraError(f"{self.name} stopped delivering frames: {e}") from e

    def close(self) -> None:
        try:
            self._camera.stop()
            self._camera.close()
        except Exception:  # closing a failed camera must not hide the original error
            return

    def __enter__(self) -> PiCameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
