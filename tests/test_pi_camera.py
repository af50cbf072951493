"""The Raspberry Pi camera path (picamera2's lores YUV420 stream) against a faithful fake."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
from click.testing import CliRunner
from fake_picamera2 import fake_camera_class

from edge_runtime.camera import PiCameraSource, open_camera
from edge_runtime.cli import main as classify_cli
from edge_runtime.errors import CameraError


def gradient(height: int = 480, width: int = 640) -> np.ndarray:
    """A gray scene where every pixel's value depends on its place (so crops are checked)."""
    rows = np.arange(height, dtype=np.uint16)[:, None]
    cols = np.arange(width, dtype=np.uint16)[None, :]
    return ((rows * 3 + cols * 7) % 251).astype(np.uint8)


def test_frames_are_the_y_plane_without_stride_padding() -> None:
    scene = gradient()
    camera_class = fake_camera_class([scene, 255 - scene])
    with PiCameraSource(0, width=640, height=480, camera_factory=camera_class) as source:
        first, second = source.read(), source.read()
    assert first.dtype == np.uint8 and first.shape == (480, 640)
    assert first.flags.c_contiguous
    np.testing.assert_array_equal(first, scene)
    np.testing.assert_array_equal(second, 255 - scene)


def test_asks_for_a_lores_yuv420_stream_of_the_requested_size() -> None:
    camera_class = fake_camera_class([gradient(240, 320)])
    with PiCameraSource(0, width=320, height=240, camera_factory=camera_class) as source:
        (camera,) = camera_class.opened
        lores = camera.stream_configuration("lores")
        assert lores["format"] == "YUV420" and lores["size"] == (320, 240)
        assert source.read().shape == (240, 320)


def test_size_picamera2_rounds_is_the_size_read() -> None:
    """picamera2 rounds odd sizes down; frames come in the size it actually configured."""
    camera_class = fake_camera_class([gradient(241, 333)])
    with PiCameraSource(0, width=333, height=241, camera_factory=camera_class) as source:
        assert source.size == (332, 240)
        frame = source.read()
    assert frame.shape == (240, 332)
    np.testing.assert_array_equal(frame, gradient(241, 333)[:240, :332])


def test_missing_camera_is_a_clear_error_and_nothing_stays_open() -> None:
    camera_class = fake_camera_class(cameras=0)
    with pytest.raises(CameraError, match=r"cannot open Pi camera 0: no such camera"):
        PiCameraSource(0, camera_factory=camera_class)
    camera_class = fake_camera_class(cameras=1)
    with pytest.raises(CameraError, match=r"cannot open Pi camera 1: no such camera"):
        PiCameraSource(1, camera_factory=camera_class)
    assert camera_class.opened == []


def test_busy_camera_names_the_cause() -> None:
    camera_class = fake_camera_class(busy=True)
    with pytest.raises(CameraError, match="did not complete.*Device or resource busy"):
        PiCameraSource(0, camera_factory=camera_class)


def test_bad_configuration_closes_the_camera() -> None:
    """A size the sensor pipeline refuses fails at configure; the camera is released."""

    class NoYuvLores(fake_camera_class([gradient()])):  # type: ignore[misc]
        def create_preview_configuration(self, main=None, lores=None, **kwargs):
            return super().create_preview_configuration(main, {**lores, "format": "RGB888"})

    NoYuvLores.opened = []
    with pytest.raises(CameraError, match="lores stream must be YUV"):
        PiCameraSource(0, camera_factory=NoYuvLores)
    (camera,) = NoYuvLores.opened
    assert not camera.is_open


def test_unplugged_mid_stream_raises_and_context_manager_closes() -> None:
    camera_class = fake_camera_class([gradient(), gradient()])
    frames = []
    with (
        pytest.raises(CameraError, match="Pi camera 0 stopped delivering frames: no frame arrived"),
        PiCameraSource(0, camera_factory=camera_class) as source,
    ):
        while True:
            frames.append(source.read())
    assert len(frames) == 2
    (camera,) = camera_class.opened
    assert not camera.started and not camera.is_open


def test_close_twice_is_harmless() -> None:
    camera_class = fake_camera_class([gradient()])
    source = PiCameraSource(0, camera_factory=camera_class)
    source.close()
    source.close()
    assert not camera_class.opened[0].is_open


@pytest.fixture
def fake_picamera2_module(monkeypatch, mnist):
    """A ``picamera2`` module whose camera sees five camera-like pages of known digits."""
    from benchmarks.synthetic import camera_page
    from edge_runtime.opencv import cv2

    labels = [int(mnist.test.labels[i]) for i in range(5)]
    pages = [camera_page(mnist.test.images[i], seed=40 + i) for i in range(5)]
    luma = [cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) for page in pages]  # what the ISP's Y holds
    module = types.ModuleType("picamera2")
    module.Picamera2 = fake_camera_class(luma)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return module, labels


def test_digits_classify_camera_reads_digits_through_picamera2(fake_picamera2_module) -> None:
    """The whole path a Pi user runs over SSH: picamera2 found, gray frames, digits read."""
    module, labels = fake_picamera2_module
    result = CliRunner().invoke(classify_cli, ["--camera", "0", "--headless", "--json"])
    assert result.exit_code == 1, result.output  # the fake camera is "unplugged" after 5 frames
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["frame"] for line in lines] == [0, 1, 2, 3, 4]
    read = [line["number"] for line in lines]
    assert sum(r == str(label) for r, label in zip(read, labels, strict=True)) >= 4, read
    assert "Error: Pi camera 0 stopped delivering frames" in result.output
    (camera,) = module.Picamera2.opened
    assert not camera.is_open


def test_open_camera_uses_picamera2_when_importable(fake_picamera2_module) -> None:
    with open_camera(0, width=320, height=240) as source:
        assert isinstance(source, PiCameraSource)
        assert source.read().shape == (240, 320)
