"""DigitClassifier on real MNIST test digits: accuracy on camera-like pages, every input kind."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.synthetic import camera_set, number_page
from edge_runtime import DigitClassifier
from edge_runtime.errors import ImageError
from edge_runtime.results import Prediction

CAMERA_PAGES = 300


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier()


def test_camera_like_pages_are_read_almost_as_well_as_mnist(classifier, mnist) -> None:
    pages, labels = camera_set(mnist.test.images, mnist.test.labels, CAMERA_PAGES, seed=11)
    camera = np.mean(
        [
            classifier.classify(page).digit == label
            for page, label in zip(pages, labels, strict=True)
        ]
    )
    direct = np.mean(
        [
            classifier.classify(mnist.test.images[i]).digit == mnist.test.labels[i]
            for i in range(CAMERA_PAGES)
        ]
    )
    assert direct >= 0.97
    assert camera >= 0.96
    assert camera >= direct - 0.03


def test_multi_digit_pages_read_left_to_right(classifier, mnist) -> None:
    rng = np.random.default_rng(5)
    exact = 0
    trials = 30
    for trial in range(trials):
        indices = rng.integers(0, len(mnist.test), int(rng.integers(2, 6)))
        expected = "".join(str(mnist.test.labels[i]) for i in indices)
        reading = classifier.read_number(
            number_page([mnist.test.images[i] for i in indices], seed=trial)
        )
        exact += reading.text == expected
        xs = [p.box.x for p in reading.digits]
        assert xs == sorted(xs)
    assert exact / trials >= 0.85


def test_a_written_year(classifier, mnist) -> None:
    def first(digit: int) -> np.ndarray:
        return mnist.test.images[int(np.flatnonzero(mnist.test.labels == digit)[0])]

    reading = classifier.read_number(number_page([first(2), first(0), first(2), first(6)], 3))
    assert reading.text == "2026"
    assert len(reading.digits) == 4 and all(p.confidence > 0.5 for p in reading.digits)


def test_every_input_kind_gives_the_same_answer(classifier, mnist, tmp_path: Path) -> None:
    from PIL import Image

    page_gray = 255 - cv2.resize(mnist.test.images[0], (112, 112))  # a 7, dark on light
    bgr = cv2.cvtColor(page_gray, cv2.COLOR_GRAY2BGR)
    path = tmp_path / "seven.png"
    cv2.imwrite(str(path), bgr)
    encoded = path.read_bytes()
    rgb_pil = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    inputs = [
        path,
        str(path),
        encoded,
        bytearray(encoded),
        page_gray,
        bgr,
        cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA),
        rgb_pil,
        rgb_pil.convert("L"),
        rgb_pil.convert("RGBA"),
    ]
    predictions = [classifier.classify(item) for item in inputs]
    assert {p.digit for p in predictions} == {7}
    assert all(isinstance(p, Prediction) and len(p.probabilities) == 10 for p in predictions)
    assert all(abs(sum(p.probabilities) - 1) < 1e-4 for p in predictions)


def test_pil_colour_order_is_converted_once(classifier) -> None:
    from PIL import Image

    # Pure red ink on white: red has low luminance in BGR-gray only if channels are right.
    rgb = np.full((120, 120, 3), 255, np.uint8)
    cv2.putText(rgb, "3", (30, 100), cv2.FONT_HERSHEY_SIMPLEX, 3.5, (0, 0, 255), 9)  # BGR red?
    as_rgb_array = rgb[:, :, ::-1]  # what a PIL user holds
    prediction_pil = classifier.classify(Image.fromarray(np.ascontiguousarray(as_rgb_array)))
    prediction_bgr = classifier.classify(rgb)
    assert prediction_pil.digit == prediction_bgr.digit == 3
    assert prediction_pil.probabilities == pytest.approx(prediction_bgr.probabilities, abs=1e-6)


def test_classify_batch_matches_single_calls_and_survives_bad_items(classifier, mnist) -> None:
    images = [mnist.test.images[i] for i in range(20)]
    batch = classifier.classify_batch([*images[:10], b"garbage", *images[10:]])
    singles = [classifier.classify(image) for image in images]
    assert batch[10].digit is None and batch[10].reason.startswith("error:")
    del batch[10]
    assert [p.digit for p in batch] == [p.digit for p in singles]
    for a, b in zip(batch, singles, strict=True):
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)


def test_low_confidence_is_rejected_with_reason(mnist) -> None:
    strict = DigitClassifier(min_confidence=0.999999)
    uncertain = [strict.classify(mnist.test.images[i]) for i in range(200)]
    rejected = [p for p in uncertain if p.digit is None]
    assert rejected, "some of 200 digits must be below 0.999999 confidence"
    assert all("low confidence" in p.reason for p in rejected)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"this is text, not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt|not an image"),
    ],
)
def test_bad_files_raise_image_error(classifier, tmp_path: Path, content, message) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        classifier.classify(path)


def test_truncated_jpeg_is_an_error_not_half_a_picture(classifier, tmp_path: Path) -> None:
    _, encoded = cv2.imencode(".jpg", np.full((200, 200, 3), 200, np.uint8))
    path = tmp_path / "cut.jpg"
    path.write_bytes(encoded.tobytes()[: len(encoded) // 2])
    with pytest.raises(ImageError, match="truncated"):
        classifier.classify(path)


def test_missing_file_and_wrong_type(classifier, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        classifier.classify(tmp_path / "none.png")
    with pytest.raises(ImageError, match="got int"):
        classifier.classify(12)
    with pytest.raises(ImageError, match="directory"):
        classifier.classify(tmp_path)


def test_runtime_never_imports_tensorflow(tmp_path: Path) -> None:
    image = tmp_path / "d.png"
    canvas = np.full((100, 100), 255, np.uint8)
    cv2.putText(canvas, "4", (20, 85), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 8)
    cv2.imwrite(str(image), canvas)
    script = (
        "import sys\nfrom edge_runtime import DigitClassifier\n"
        f"p = DigitClassifier().classify({str(image)!r})\n"
        "DigitClassifier().read_number(open(sys.argv[1], 'rb').read())\n"
        "import edge_runtime.cli, edge_runtime.live, edge_runtime.camera, edge_runtime.overlay\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(p.digit, bad)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(image)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "4 []"


def test_context_manager_and_bytes_io(classifier, mnist) -> None:
    buffer = io.BytesIO()
    from PIL import Image

    Image.fromarray(mnist.test.images[1]).save(buffer, format="PNG")
    with DigitClassifier() as own:
        assert own.classify(buffer.getvalue()).digit == mnist.test.labels[1]
