"""The live loop and digits-classify on recorded videos, missing and failing cameras, GUI paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.synthetic import camera_page
from edge_runtime import DigitClassifier
from edge_runtime import camera as camera_module
from edge_runtime.camera import OpenCVSource, open_camera, open_video
from edge_runtime.cli import main as classify_cli
from edge_runtime.errors import CameraError
from edge_runtime.live import LiveOptions, run_live


def write_video(path: Path, frames: list[np.ndarray], fourcc: str) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def digit_clip(tmp_path_factory, mnist) -> tuple[Path, list[int]]:
    """An MJPG .avi of 12 camera-like frames, each showing a known MNIST test digit."""
    labels = [int(mnist.test.labels[i]) for i in range(12)]
    frames = [camera_page(mnist.test.images[i], seed=100 + i) for i in range(12)]
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    return write_video(path, frames, "MJPG"), labels


def test_video_loop_reads_the_known_digits(digit_clip) -> None:
    path, labels = digit_clip
    classifier = DigitClassifier()
    with open_video(path) as source:
        results = list(run_live(source, classifier))
    assert [r.index for r in results] == list(range(12))
    read = [r.reading.text for r in results]
    assert sum(text == str(label) for text, label in zip(read, labels, strict=True)) >= 11
    assert all(r.fps > 0 and r.process_ms > 0 for r in results)


def test_every_and_max_frames(digit_clip) -> None:
    path, _ = digit_clip
    with open_video(path) as source:
        results = list(run_live(source, DigitClassifier(), LiveOptions(every=3, max_frames=3)))
    assert [r.index for r in results] == [0, 3, 6]


def test_mp4_clip_through_the_cli_headless_json(tmp_path: Path, mnist) -> None:
    frames = [camera_page(mnist.test.images[i], seed=i) for i in range(6)]
    try:
        path = write_video(tmp_path / "clip.mp4", frames, "mp4v")
    except AssertionError:
        pytest.skip("this OpenCV build cannot write mp4v")
    result = CliRunner().invoke(classify_cli, ["--video", str(path), "--json", "--max-frames", "5"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["frame"] for line in lines] == [0, 1, 2, 3, 4]
    expected = [str(mnist.test.labels[i]) for i in range(5)]
    assert sum(line["number"] == e for line, e in zip(lines, expected, strict=True)) >= 4


def test_cli_video_text_output_and_debug_frames(digit_clip, tmp_path: Path) -> None:
    path, labels = digit_clip
    result = CliRunner().invoke(
        classify_cli,
        ["--video", str(path), "--headless", "--max-frames", "2", "--save-debug", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"frame 0  {labels[0]}  ")
    assert "FPS" in result.output
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "frame_000000.png",
        "frame_000001.png",
    ]


def test_missing_camera_is_a_clear_one_line_error() -> None:
    result = CliRunner().invoke(classify_cli, ["--camera", "57", "--headless"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: cannot open camera 57: is it connected, and not in use by another program? "
        "(ls /dev/video*)"
    ]


def test_missing_and_broken_video_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(classify_cli, ["--video", str(tmp_path / "none.avi")])
    assert result.exit_code == 1 and "does not exist" in result.output
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all" * 10)
    result = CliRunner().invoke(classify_cli, ["--video", str(junk), "--headless"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert "Traceback" not in result.output


class _FlakyCapture:
    """A fake cv2.VideoCapture: delivers ``good`` frames, then fails forever (unplugged)."""

    def __init__(self, frame: np.ndarray, good: int) -> None:
        self.frame, self.good, self.reads = frame, good, 0

    def isOpened(self) -> bool:  # OpenCV's name
        return True

    def read(self):
        self.reads += 1
        return (True, self.frame.copy()) if self.reads <= self.good else (False, None)

    def set(self, *args) -> bool:
        return True

    def release(self) -> None:
        pass


def test_camera_unplugged_mid_stream(monkeypatch, mnist) -> None:
    page = camera_page(mnist.test.images[0], seed=1)
    monkeypatch.setattr(cv2, "VideoCapture", lambda target: _FlakyCapture(page, good=3))
    seen = []
    with (
        pytest.raises(CameraError, match="camera 0 stopped delivering frames mid-stream"),
        OpenCVSource(0, retry_delay_s=0.0, max_failures=5) as source,
    ):
        for result in run_live(source, DigitClassifier()):
            seen.append(result.reading.text)
    assert seen == [str(mnist.test.labels[0])] * 3


def test_cli_reports_unplugged_camera_cleanly(monkeypatch, mnist) -> None:
    page = camera_page(mnist.test.images[0], seed=1)
    monkeypatch.setattr(cv2, "VideoCapture", lambda target: _FlakyCapture(page, good=2))
    monkeypatch.setattr(camera_module, "picamera2_available", lambda: False)
    monkeypatch.setattr(camera_module.time, "sleep", lambda seconds: None)
    result = CliRunner().invoke(classify_cli, ["--camera", "0", "--headless"])
    assert result.exit_code == 1
    assert result.output.count("frame ") == 2
    assert "Error: camera 0 stopped delivering frames mid-stream (unplugged?)" in result.output


def test_gui_path_draws_the_overlay(monkeypatch, digit_clip) -> None:
    """Headless test of the windowed path: imshow/waitKey are recorded, q quits after 2 frames."""
    from edge_runtime import overlay

    path, _ = digit_clip
    shown: list[np.ndarray] = []
    keys = iter([-1, ord("q")])
    monkeypatch.setattr(overlay, "gui_available", lambda: True)
    monkeypatch.setattr(cv2, "imshow", lambda name, image: shown.append(image))
    monkeypatch.setattr(cv2, "waitKey", lambda delay: next(keys))
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: None)
    result = CliRunner().invoke(classify_cli, ["--video", str(path)])
    assert result.exit_code == 0, result.output
    assert len(shown) == 2
    frame = cv2.VideoCapture(str(path)).read()[1]
    assert shown[0].shape == frame.shape
    assert np.abs(shown[0].astype(int) - frame.astype(int)).sum() > 0  # something was drawn


_BUILD_INFO = "General configuration for OpenCV 4.x\n  GUI:                           {gui}\n"


@pytest.mark.parametrize(
    ("gui", "display", "expected"),
    [
        ("NONE", ":0", False),  # a headless build never has a window, display or not
        ("GTK3", None, sys.platform != "linux"),  # a GUI build over SSH: no $DISPLAY on Linux
        ("GTK3", ":0", True),
        ("QT5", ":0", True),
    ],
)
def test_gui_is_detected_from_the_build_and_the_display(
    monkeypatch, gui: str, display: str | None, expected: bool
) -> None:
    from edge_runtime.overlay import gui_available

    monkeypatch.setattr(cv2, "getBuildInformation", lambda: _BUILD_INFO.format(gui=gui))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if display is None:
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", display)
    assert gui_available() is expected


def test_the_installed_headless_opencv_has_no_gui(monkeypatch) -> None:
    """Whatever the machine: the headless wheel we depend on must be reported as windowless."""
    from importlib import metadata

    from edge_runtime.overlay import gui_available

    try:
        metadata.distribution("opencv-python-headless")
    except metadata.PackageNotFoundError:
        pytest.skip("opencv-python-headless is not the installed OpenCV")
    monkeypatch.setenv("DISPLAY", ":0")
    assert gui_available() is False


def test_open_camera_prefers_picamera2_when_present(monkeypatch) -> None:
    opened = []

    class FakePi:
        def __init__(self, index: int, *, width: int, height: int) -> None:
            opened.append((index, width, height))

    monkeypatch.setattr(camera_module, "picamera2_available", lambda: True)
    monkeypatch.setattr(camera_module, "PiCameraSource", FakePi)
    open_camera(0, width=320, height=240)
    assert opened == [(0, 320, 240)]


def test_overlay_and_model_view_shapes(mnist) -> None:
    from edge_runtime.overlay import draw_overlay, model_view

    classifier = DigitClassifier()
    page = camera_page(mnist.test.images[0], seed=3)
    inspection = classifier.inspect(page)
    reading, inputs = inspection.reading, inspection.model_inputs
    drawn = draw_overlay(page, reading, fps=30.0)
    assert drawn.shape == page.shape and not np.array_equal(drawn, page)
    view = model_view(page, inputs, reading)
    assert view.ndim == 3 and view.shape[1] > page.shape[1] // 2
