"""Synthetic photos of real MNIST test digits, with known answers: the one image generator.

Used by the tests and the benchmarks. Two families:

* ``camera_page`` / ``number_page`` / ``hard_page`` — what a phone or webcam
  sees: paper texture, uneven light, blur, noise, JPEG; ``hard_page`` adds the
  failures seen on real photos, each switchable by name (:data:`HARD_CASES`):
  hard-edged cast shadows, light falloff, small writing in a big frame,
  perspective, pencil, touching digits, other marks around the number
  (underline, box, scribbles, the paper's edge) and patterned backgrounds.
* input kinds (``squared_paper``, ``thin_pen``, ``filling_image``,
  ``dark_screen``, ``alpha_only_png``, ``tiny_scan``, ``on_page``) — one
  property each, for focused tests; they live in :mod:`benchmarks.synthetic_kinds`
  and are re-exported here.

Every function is deterministic in its ``seed``. Digits come from the caller
(real MNIST), so the handwriting is real; only the photography is simulated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from benchmarks.synthetic_kinds import (
    alpha_only_png,
    dark_screen,
    filling_image,
    ink_on_paper,
    on_page,
    skeleton,
    squared_paper,
    thin_pen,
    tiny_scan,
)

__all__ = [
    "DEFAULT_STYLE",
    "HARD_CASES",
    "PAGE_SIZE",
    "CameraStyle",
    "alpha_only_png",
    "camera_page",
    "camera_set",
    "dark_screen",
    "filling_image",
    "hard_page",
    "hard_pages",
    "hard_set",
    "ink_on_paper",
    "number_page",
    "on_page",
    "skeleton",
    "squared_paper",
    "thin_pen",
    "tiny_scan",
]

PAGE_SIZE = (480, 640)  # (height, width)
HARD_CASES = (
    "shadow",
    "falloff",
    "small",
    "perspective",
    "pencil",
    "touching",
    "marks",
    "pattern",
)


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


# -- paper, light and camera ------------------------------------------------------------------


def _paper(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    height, width = shape
    coarse = cv2.resize(
        rng.normal(0, 6, (height // 40 + 2, width // 40 + 2)),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    return rng.uniform(190, 240) + coarse + rng.normal(0, 3, shape)


def _ramp(rng: np.random.Generator, shape: tuple[int, int], low: float, high: float):
    height, width = shape
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = np.cos(angle) * xs / width + np.sin(angle) * ys / height
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return low + (high - low) * ramp


def _finish(page: np.ndarray, rng: np.random.Generator, style: CameraStyle) -> np.ndarray:
    """Uneven light, blur, noise, a colour cast and JPEG: the camera's part."""
    page = page * _ramp(rng, page.shape, *style.light_range)
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(*style.blur_sigma))
    page = page + rng.normal(0, style.noise_sigma, page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    tint = rng.uniform(0.9, 1.05, 3)
    bgr = np.clip(gray[:, :, None] * tint[None, None, :], 0, 255).astype(np.uint8)
    quality = int(rng.integers(*style.jpeg_quality))
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else None
    return bgr if decoded is None else np.asarray(decoded)


def _place(page: np.ndarray, ink: np.ndarray, top: int, left: int, darkness: float) -> np.ndarray:
    """Darken ``page`` by ``ink`` (0-255 alpha) at (top, left), clipped to the page."""
    height, width = ink.shape
    top0, left0 = max(0, top), max(0, left)
    bottom, right = min(page.shape[0], top + height), min(page.shape[1], left + width)
    if bottom <= top0 or right <= left0:
        return page
    alpha = ink[top0 - top : bottom - top, left0 - left : right - left].astype(np.float32) / 255
    page[top0:bottom, left0:right] *= 1 - darkness * alpha
    return page


def _scaled_digit(digit: np.ndarray, height: int, rng: np.random.Generator, style: CameraStyle):
    size = max(8, round(height * 28 / 20))  # MNIST digits fill 20 of 28 px
    big = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC)
    angle = rng.uniform(-style.rotation_deg, style.rotation_deg)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    return cv2.warpAffine(big, matrix, (size, size), flags=cv2.INTER_LINEAR)


def _tight_digit(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """The digit's ink cropped tight, scaled to ``height`` px tall, slanted a little."""
    ys, xs = np.nonzero(digit > 20)
    tight = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    width = max(2, round(tight.shape[1] * height / tight.shape[0]))
    big = cv2.resize(tight, (width, height), interpolation=cv2.INTER_CUBIC)
    shear = rng.uniform(-0.12, 0.12)
    pad = int(abs(shear) * height) + 2
    matrix = np.float32([[1, shear, pad - shear * height / 2], [0, 1, 0]])
    return cv2.warpAffine(big, matrix, (width + 2 * pad, height), flags=cv2.INTER_LINEAR)


def camera_page(digit: np.ndarray, seed: int, style: CameraStyle = DEFAULT_STYLE) -> np.ndarray:
    """One BGR 640×480 page showing ``digit`` (an MNIST 28×28 image) like a webcam would."""
    rng = np.random.default_rng(seed)
    page = _paper(rng, PAGE_SIZE)
    ink = _scaled_digit(digit, int(rng.integers(*style.digit_height)), rng, style)
    top = int(rng.integers(10, PAGE_SIZE[0] - ink.shape[0] - 10))
    left = int(rng.integers(10, PAGE_SIZE[1] - ink.shape[1] - 10))
    page = _place(page, ink, top, left, darkness=rng.uniform(0.6, 0.85))
    return _finish(page, rng, style)


def camera_set(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray]:
    """``count`` camera pages of the first ``count`` digits, and their labels."""
    pages = [camera_page(images[i], seed=seed * 100_003 + i) for i in range(count)]
    return pages, labels[:count].copy()


# -- numbers and the hard cases ---------------------------------------------------------------


def _inks(digits, rng, height, pencil=False) -> list[np.ndarray]:
    """Each digit as ink (0-255) ``height`` px tall; pencil is faint, thin and grainy."""
    inks = []
    for digit in digits:
        ink = _tight_digit(digit, height, rng)
        if pencil:
            grain = rng.uniform(0.45, 1.0, ink.shape)
            ink = (cv2.erode(ink, np.ones((2, 2), np.uint8)) * grain).astype(np.uint8)
        inks.append(ink)
    return inks


def _write(page, inks, rng, left, top, gaps, darkness) -> list[tuple[int, int, int, int]]:
    """Write ``inks`` left to right with ``gaps`` (px, < 0: strokes overlap) between them."""
    x, boxes = left, []
    for ink, gap in zip(inks, gaps, strict=True):
        height = ink.shape[0]
        y = top + int(rng.integers(-height // 12, height // 12 + 1))
        _place(page, ink, y, x, darkness * rng.uniform(0.9, 1.05))
        boxes.append((x, y, ink.shape[1], height))
        x += ink.shape[1] + gap
    return boxes


def _shadow(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A hard-edged cast shadow (a hand or phone): a polygon 35-60% darker, barely blurred."""
    height, width = shape
    corners = rng.integers(0, 4)
    xs = rng.uniform(0.2, 0.8, 2) * width
    poly = np.array(
        [[xs[0], 0], [xs[1], height], [width * (corners % 2), height], [width * (corners % 2), 0]],
        np.int32,
    )
    mask = np.zeros(shape, np.float32)
    cv2.fillPoly(mask, [poly], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.8, 3.0))
    return 1.0 - rng.uniform(0.35, 0.6) * mask


def _falloff(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Light falling off from a lamp's spot: bright centre, corners down to 40-70%."""
    height, width = shape
    cy, cx = rng.uniform(0.2, 0.8) * height, rng.uniform(0.2, 0.8) * width
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot((ys - cy) / height, (xs - cx) / width) / 0.9
    return 1.0 - rng.uniform(0.3, 0.6) * np.clip(distance, 0, 1) ** 1.5


def _pattern(page: np.ndarray, rng: np.random.Generator) -> None:
    """A cheque-like guilloche of light wavy lines, or a dotted/squared grid."""
    height, width = page.shape
    shade = rng.uniform(0.12, 0.3)
    layer = np.zeros(page.shape, np.uint8)
    if rng.random() < 0.6:
        period, amplitude = rng.uniform(20, 60), rng.uniform(4, 14)
        xs = np.arange(width)
        for y0 in range(0, height, int(rng.integers(7, 14))):
            ys = y0 + amplitude * np.sin(2 * np.pi * xs / period + y0 / 9)
            points = np.stack([xs, ys], 1).astype(np.int32)
            cv2.polylines(layer, [points], False, 255, 1, cv2.LINE_AA)
    else:
        step = int(rng.integers(12, 30))
        layer[::step, :], layer[:, ::step] = 255, 255
    _place(page, layer, 0, 0, shade)


def _marks(page: np.ndarray, rng: np.random.Generator, box, darkness: float) -> None:
    """Non-digit ink near the number: underline, frame, scribbled words, dots, paper edge."""
    x0, y0, x1, y1 = box
    height, width = page.shape
    layer = np.zeros(page.shape, np.uint8)
    stroke = max(1, (y1 - y0) // 14)
    if rng.random() < 0.5:
        y = min(height - 2, y1 + int(rng.integers(3, 12)))
        cv2.line(layer, (x0 - 10, y), (x1 + 10, y + int(rng.integers(-6, 7))), 255, stroke)
    else:
        cv2.rectangle(layer, (x0 - 20, y0 - 20), (x1 + 20, y1 + 20), 255, stroke)
    for _ in range(int(rng.integers(1, 4))):  # scribbled "words" on other lines
        cx, cy = int(rng.uniform(0.1, 0.7) * width), int(rng.uniform(0.05, 0.95) * height)
        if y0 - 30 < cy < y1 + 30:
            continue
        xs = cx + np.cumsum(rng.uniform(2, 6, 40))
        ys = cy + 6 * np.sin(np.arange(40) * rng.uniform(0.8, 1.6))
        cv2.polylines(layer, [np.stack([xs, ys], 1).astype(np.int32)], False, 255, stroke)
    for _ in range(int(rng.integers(0, 6))):
        cv2.circle(layer, (int(rng.integers(width)), int(rng.integers(height))), stroke, 255, -1)
    _place(page, layer, 0, 0, darkness)
    if rng.random() < 0.5:  # the paper ends: dark table beyond one edge
        edge = int(rng.uniform(0.02, 0.08) * width)
        page[:, :edge] *= rng.uniform(0.2, 0.4)


def hard_page(
    digits: list[np.ndarray], seed: int, cases: tuple[str, ...] = HARD_CASES
) -> np.ndarray:
    """A BGR photo of the number written with ``digits``, with the named hard cases applied.

    ``small`` makes a 1600×1200 frame with 28-60 px tall writing; otherwise
    the frame is 640×480. ``touching`` writes the digits with overlapping
    strokes; ``perspective`` photographs the page at an angle.
    """
    unknown = set(cases) - set(HARD_CASES)
    if unknown:
        raise ValueError(f"unknown hard cases {sorted(unknown)}; choose from {HARD_CASES}")
    rng = np.random.default_rng(seed)
    shape = (1200, 1600) if "small" in cases else PAGE_SIZE
    page = _paper(rng, shape)
    if "pattern" in cases:
        _pattern(page, rng)
    height = int(rng.integers(28, 60)) if "small" in cases else int(rng.integers(50, 110))
    height = min(height, int(shape[1] * 0.75 / (1.1 * len(digits) + 0.3)))
    pencil = "pencil" in cases
    inks = _inks(digits, rng, height, pencil)
    spacing = (-0.22, -0.08) if "touching" in cases else (0.05, 0.45)
    gaps = [int(rng.uniform(*spacing) * height) for _ in inks]
    width = sum(ink.shape[1] for ink in inks) + sum(gaps[:-1])
    left = int(rng.integers(20, max(21, shape[1] - width - 20)))
    top = int(rng.integers(40, shape[0] - height - 40))
    darkness = rng.uniform(0.3, 0.45) if pencil else rng.uniform(0.6, 0.85)
    boxes = _write(page, inks, rng, left, top, gaps, darkness)
    if "marks" in cases:
        right = max(x + w for x, _, w, _ in boxes)
        _marks(page, rng, (left, top, right, top + height), darkness)
    if "shadow" in cases:
        page *= _shadow(rng, shape)
    if "falloff" in cases:
        page *= _falloff(rng, shape)
    if "perspective" in cases:
        h, w = shape
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = (src + rng.uniform(-0.1, 0.1, (4, 2)) * [w, h]).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        page = cv2.warpPerspective(page, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    style = CameraStyle(light_range=(0.8, 1.05), blur_sigma=(0.5, 1.2), noise_sigma=4.0)
    return _finish(page, rng, style)


def number_page(
    digits: list[np.ndarray], seed: int, style: CameraStyle = DEFAULT_STYLE
) -> np.ndarray:
    """A BGR 640×480 page with the digits written as one number, nothing hard about it."""
    return hard_page(digits, seed, cases=())


def hard_pages(
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    seed: int = 0,
    cases: tuple[str, ...] | None = None,
) -> Iterator[tuple[np.ndarray, str, np.ndarray]]:
    """``count`` pages of 1-6 random test digits: (page, number text, the digits' indices).

    Each page draws each hard case with probability 0.35 (``cases=None``) or
    uses exactly ``cases``. Leading zeros are part of the text.
    """
    rng = np.random.default_rng(seed)
    for index in range(count):
        picked = rng.integers(0, len(images), int(rng.integers(1, 7)))
        chosen = tuple(c for c in HARD_CASES if rng.random() < 0.35) if cases is None else cases
        page = hard_page([images[i] for i in picked], seed * 1_000_003 + index, chosen)
        yield page, "".join(str(int(labels[i])) for i in picked), picked


def hard_set(
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    seed: int = 0,
    cases: tuple[str, ...] | None = None,
) -> list[tuple[np.ndarray, str]]:
    """``count`` (page, number text) pairs of :func:`hard_pages`."""
    return [(page, text) for page, text, _ in hard_pages(images, labels, count, seed, cases)]
