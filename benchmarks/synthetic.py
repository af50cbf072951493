"""Synthetic "camera" images made from real MNIST test digits, with known answers.

Each digit is enlarged, inverted to dark ink on light paper, placed off-centre
on a 640×480 page with paper texture and noise, lit unevenly, rotated a
little, blurred and JPEG-compressed — what a webcam pointed at a notepad sees.
Used by the tests (accuracy floor) and by the benchmarks (the accuracy figure).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAGE_SIZE = (480, 640)  # (height, width)


@dataclass(frozen=True)
class CameraStyle:
    """Ranges the generator draws from (one draw per page)."""

    digit_height: tuple[int, int] = (90, 200)
    rotation_deg: float = 8.0
    blur_sigma: tuple[float, float] = (0.6, 1.6)
    noise_sigma: float = 6.0
    light_range: tuple[float, float] = (0.55, 1.05)
    jpeg_quality: tuple[int, int] = (55, 90)


DEFAULT_STYLE = CameraStyle()


def _paper(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    height, width = shape
    base = rng.uniform(190, 240)
    coarse = cv2.resize(
        rng.normal(0, 6, (height // 40 + 2, width // 40 + 2)),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    fine = rng.normal(0, 3, shape)
    return base + coarse + fine


def _lighting(rng: np.random.Generator, shape: tuple[int, int], style: CameraStyle) -> np.ndarray:
    height, width = shape
    low, high = style.light_range
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = np.cos(angle) * xs / width + np.sin(angle) * ys / height
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return low + (high - low) * ramp


def _place(page: np.ndarray, ink: np.ndarray, top: int, left: int, darkness: float) -> np.ndarray:
    height, width = ink.shape
    region = page[top : top + height, left : left + width]
    alpha = ink.astype(np.float32) / 255.0
    page[top : top + height, left : left + width] = region * (1 - darkness * alpha)
    return page


def _scaled_digit(digit: np.ndarray, height: int, rng: np.random.Generator, style: CameraStyle):
    size = max(8, round(height * 28 / 20))  # MNIST digits fill 20 of 28 px
    big = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC)
    angle = rng.uniform(-style.rotation_deg, style.rotation_deg)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    return cv2.warpAffine(big, matrix, (size, size), flags=cv2.INTER_LINEAR)


def _finish(page: np.ndarray, rng: np.random.Generator, style: CameraStyle) -> np.ndarray:
    page = page * _lighting(rng, page.shape, style)
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(*style.blur_sigma))
    page = page + rng.normal(0, style.noise_sigma, page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    tint = rng.uniform(0.9, 1.05, 3)
    bgr = np.clip(gray[:, :, None] * tint[None, None, :], 0, 255).astype(np.uint8)
    quality = int(rng.integers(*style.jpeg_quality))
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else None
    return bgr if decoded is None else np.asarray(decoded)


def camera_page(digit: np.ndarray, seed: int, style: CameraStyle = DEFAULT_STYLE) -> np.ndarray:
    """One BGR 640×480 page showing ``digit`` (an MNIST 28×28 image) like a webcam would."""
    rng = np.random.default_rng(seed)
    page = _paper(rng, PAGE_SIZE)
    ink = _scaled_digit(digit, int(rng.integers(*style.digit_height)), rng, style)
    height, width = ink.shape
    top = int(rng.integers(10, PAGE_SIZE[0] - height - 10))
    left = int(rng.integers(10, PAGE_SIZE[1] - width - 10))
    page = _place(page, ink, top, left, darkness=rng.uniform(0.6, 0.85))
    return _finish(page, rng, style)


def number_page(
    digits: list[np.ndarray], seed: int, style: CameraStyle = DEFAULT_STYLE
) -> np.ndarray:
    """A BGR 640×480 page with several MNIST digits written left to right (a number)."""
    rng = np.random.default_rng(seed)
    page = _paper(rng, PAGE_SIZE)
    count = len(digits)
    slot = (PAGE_SIZE[1] - 40) // max(count, 1)
    height = int(min(slot * 0.9, float(rng.integers(90, 150))))
    top = int(rng.integers(20, PAGE_SIZE[0] - height * 28 // 20 - 20))
    darkness = rng.uniform(0.65, 0.85)
    for index, digit in enumerate(digits):
        ink = _scaled_digit(digit, height, rng, CameraStyle(rotation_deg=4.0))
        # MNIST digits have ~4 px of empty margin on each side of 28: overlap margins a little.
        left = 20 + index * slot + int(rng.integers(0, max(1, slot - ink.shape[1])))
        left = min(left, PAGE_SIZE[1] - ink.shape[1] - 1)
        page = _place(page, ink, top + int(rng.integers(-8, 8)), left, darkness)
    return _finish(page, rng, style)


def camera_set(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray]:
    """``count`` camera pages of the first ``count`` digits, and their labels."""
    pages = [camera_page(images[i], seed=seed * 100_003 + i) for i in range(count)]
    return pages, labels[:count].copy()
