"""A fake ``picamera2.Picamera2`` that behaves like the real one where our code touches it.

Modelled on picamera2 (raspberrypi/picamera2, ``picamera2/picamera2.py`` and
``request.py``):

* ``Picamera2(n)`` looks camera ``n`` up in the attached cameras: ``IndexError`` when
  there is none; a camera held by another process fails with ``RuntimeError("Camera
  __init__ sequence did not complete.")`` raised from the libcamera error.
* ``create_preview_configuration(main=…, lores=…)`` fills defaults (main ``XBGR8888``
  640×480; lores ``YUV420`` at main's size) and rounds sizes down to even numbers.
* ``configure`` refuses a started camera, a lores stream larger than main, a non-YUV lores
  stream (Pi 4 and earlier) and odd sizes; it gives each stream a ``stride`` (rows padded
  to 64 bytes, as the Pi's ISP does).
* ``capture_array("lores", wait=seconds)`` returns the YUV420 buffer as picamera2 does:
  shape ``(height * 3 // 2, stride)`` — ``height`` rows of Y, then the U and V planes, with
  the stride padding left in. A camera that stops delivering frames raises ``TimeoutError``
  once ``wait`` seconds have passed (here: at once).
* ``stop`` on a stopped camera and ``close`` on a closed one do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

STRIDE_ALIGN = 64


class FakePicamera2:
    """One attached camera whose sensor sees ``scenes`` (gray uint8 images), in turn.

    After the last scene the camera "is unplugged": captures time out.
    """

    cameras: int = 1
    """How many cameras are attached (class-wide, like the real camera manager)."""
    busy: bool = False
    """Camera held by another process."""
    scenes: Iterable[np.ndarray] = ()
    opened: list[FakePicamera2] = []  # every instance, to check they were all closed

    def __init__(self, camera_num: int = 0) -> None:
        self.is_open = False
        self.started = False
        self.camera_config: dict[str, Any] | None = None
        self.captures = 0
        if camera_num >= self.cameras:
            raise IndexError("list index out of range")  # global_camera_info()[camera_num]
        if self.busy:
            try:
                raise RuntimeError("Failed to acquire camera: Device or resource busy")
            except RuntimeError as e:
                raise RuntimeError("Camera __init__ sequence did not complete.") from e
        self.is_open = True
        self._scenes: Iterator[np.ndarray] = iter(list(self.scenes))
        type(self).opened.append(self)

    @staticmethod
    def _stream(defaults: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any] | None:
        if given is None:
            return None
        stream = defaults | given
        width, height = stream["size"]
        stream["size"] = (width - width % 2, height - height % 2)  # align_stream(optimal=False)
        return stream

    def create_preview_configuration(
        self, main: dict[str, Any] | None = None, lores: dict[str, Any] | None = None, **_: Any
    ) -> dict[str, Any]:
        if not self.is_open:
            raise RuntimeError("Camera not opened")
        main_stream = self._stream({"format": "XBGR8888", "size": (640, 480)}, main or {})
        assert main_stream is not None
        lores_stream = self._stream({"format": "YUV420", "size": main_stream["size"]}, lores)
        return {"use_case": "preview", "main": main_stream, "lores": lores_stream, "raw": None}

    def configure(self, config: dict[str, Any]) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        for name in ("main", "lores"):
            stream = config.get(name)
            if stream is not None and any(side % 2 for side in stream["size"]):
                raise RuntimeError("width and height should be even")
        lores = config.get("lores")
        if lores is not None:
            main_w, main_h = config["main"]["size"]
            lores_w, lores_h = lores["size"]
            if lores_w > main_w or lores_h > main_h:
                raise RuntimeError("lores stream dimensions may not exceed main stream")
            if lores["format"] not in ("YUV420", "YVU420"):
                raise RuntimeError("lores stream must be YUV")
        self.camera_config = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
        for name in ("main", "lores"):
            stream = self.camera_config.get(name)
            if stream is not None:
                width = stream["size"][0] * (4 if stream["format"].startswith("X") else 1)
                stream["stride"] = -(-width // STRIDE_ALIGN) * STRIDE_ALIGN

    def stream_configuration(self, name: str = "main") -> dict[str, Any]:
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        return self.camera_config[name]

    def start(self) -> None:
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        self.started = True

    def capture_array(self, name: str = "main", wait: Any = None) -> np.ndarray:
        if self.camera_config is None or self.camera_config.get(name) is None:
            raise RuntimeError(f"Stream {name!r} is not defined")
        stream = self.camera_config[name]
        if stream["format"] != "YUV420":
            raise NotImplementedError("the fake only renders YUV420 streams")
        scene = next(self._scenes, None) if self.started else None
        if scene is None:  # not started, or unplugged: no request completes
            raise TimeoutError()  # concurrent.futures' timeout, after `wait` seconds
        width, height = stream["size"]
        buffer = np.full((height * 3 // 2, stream["stride"]), 128, np.uint8)  # U, V: neutral
        buffer[:height, width:] = 0xAA  # stride padding holds junk
        y_plane = np.zeros((height, width), np.uint8)
        h, w = min(height, scene.shape[0]), min(width, scene.shape[1])
        y_plane[:h, :w] = scene[:h, :w]
        buffer[:height, :width] = y_plane
        self.captures += 1
        return buffer

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        if not self.is_open:
            return
        self.stop()
        self.is_open = False

    def __enter__(self) -> FakePicamera2:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fake_camera_class(
    scenes: Iterable[np.ndarray] = (), *, cameras: int = 1, busy: bool = False
) -> type[FakePicamera2]:
    """A fresh ``Picamera2`` stand-in class with its own attached cameras and scenes."""
    return type(
        "Picamera2",
        (FakePicamera2,),
        {"cameras": cameras, "busy": busy, "scenes": list(scenes), "opened": []},
    )
