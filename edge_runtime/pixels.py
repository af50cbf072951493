"""The pixel contract at the door of preprocessing: any array → gray ``uint8``, ink polarity.

Inputs are ``uint8`` arrays, gray ``(H, W)``, BGR ``(H, W, 3)`` or BGRA
``(H, W, 4)`` (OpenCV's colour order); floats in [0, 1], bools and other
numbers are converted once, here. Nothing else in the runtime guesses formats.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import ImageError
from edge_runtime.opencv import cv2

MNIST_SIDE = 28
MNIST_DIGIT_SIDE = 20
MIN_CONTRAST = 40
"""Gray levels by which ink must stand out from paper (the default of ``PreprocessOptions``)."""


def to_gray(image: np.ndarray) -> np.ndarray:
    """Gray ``uint8`` ``(H, W)`` from gray, BGR or BGRA input.

    Transparent PNGs are composited onto white; when the colour channels carry
    no strokes (strokes only in alpha), the alpha channel itself is the ink.
    """
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a numpy array, got {type(image).__name__}")
    if image.size == 0:
        raise ImageError(f"image is empty (shape {image.shape})")
    if image.dtype != np.uint8:
        if image.dtype == np.bool_:
            image = image.astype(np.uint8) * 255
        elif np.issubdtype(image.dtype, np.floating):
            image = np.nan_to_num(image, nan=0.0, posinf=255.0, neginf=0.0)
            factor = 255.0 if image.max(initial=0) <= 1.0 else 1.0  # [0, 1] floats or 0-255
            image = np.clip(image * factor, 0, 255).astype(np.uint8)
        elif np.issubdtype(image.dtype, np.number):
            image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
        else:
            raise ImageError(f"expected uint8 pixels, got dtype {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        gray = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2GRAY).astype(np.float32)
        alpha = image[:, :, 3].astype(np.float32) / 255.0
        composite = gray * alpha + 255.0 * (1.0 - alpha)
        if np.ptp(composite) < MIN_CONTRAST <= np.ptp(image[:, :, 3]):
            return (255 - image[:, :, 3]).astype(np.uint8)
        return np.clip(composite, 0, 255).astype(np.uint8)
    raise ImageError(
        f"expected a gray (H, W), BGR (H, W, 3) or BGRA (H, W, 4) image, got shape {image.shape}"
    )


TAIL_SIDES = (128, 384)
"""Sizes of the copies the tail test reads: the small one first; when it is unsure and the image
is big, a finer one, where a stroke 1/50 of the frame still keeps most of its contrast."""


def _shrunk(gray: np.ndarray, scale: float) -> np.ndarray:
    """``gray`` shrunk by ``scale`` (area-averaged), never below 1 px a side (a 1×20000 strip)."""
    if scale == 1.0:
        return gray
    fx, fy = max(scale, 1.0 / gray.shape[1]), max(scale, 1.0 / gray.shape[0])
    return cv2.resize(gray, None, fx=fx, fy=fy, interpolation=cv2.INTER_AREA)


def _median_tails(gray: np.ndarray, side: int = TAIL_SIDES[0]) -> bool | None:
    """Polarity from how far pixels stray from their local median, or None when unsure.

    On a small (≤ ``side`` px) copy each pixel is compared with the median of its
    11×11 neighbourhood, which is the paper wherever ink is sparse and which
    follows a shadow's or the page's edge instead of responding to it. Thin
    ink makes a one-sided tail of strong differences (dark ink: below the
    median); paper texture and noise make both tails alike. Small writing in
    a big frame, where the morphology of :func:`ink_is_dark` sees only
    noise, is decided here. Differences are relative to the local paper's
    brightness, so the texture of lit and shaded paper has one noise level.
    Strokes wider than the neighbourhood (a bold digit filling the image)
    make the paper between them the tail instead; the answer is then kept
    only if the tail stands out from the paper (:func:`_tail_is_ink`).
    """
    small = _shrunk(gray, min(1.0, side / max(gray.shape)))
    if min(small.shape) < 11:
        return None
    local = cv2.medianBlur(small, 11)
    # Differences relative to the local paper's brightness: a cast shadow scales the paper's
    # texture and the ink's contrast alike, so one noise level fits the lit and shaded parts.
    difference = (small.astype(np.float32) - local) * (128.0 / np.maximum(local, 16.0))
    spread = np.abs(difference)
    noise = 6 * 1.4826 * float(np.median(spread)) + 6  # a robust 6 sigma, at least 6 levels
    beyond = spread - noise
    darker = (difference < 0) & (beyond > 0)
    lighter = (difference > 0) & (beyond > 0)
    dark_sum, light_sum = float(beyond[darker].sum()), float(beyond[lighter].sum())
    if dark_sum + 1 >= 4 * (light_sum + 1):
        dark, tail = True, darker
    elif light_sum + 1 >= 4 * (dark_sum + 1):
        dark, tail = False, lighter
    else:
        return None
    return dark if _tail_is_ink(small, tail, dark, noise) else None


def _relative(paper: np.ndarray | np.float32, pixels: np.ndarray) -> np.ndarray:
    """How much darker ``pixels`` are than ``paper``, in 1/128ths of the paper's brightness."""
    paper = np.asarray(paper, np.float32)
    return (paper - pixels.astype(np.float32)) * (128.0 / np.maximum(paper, 16.0))


def _tail_is_ink(small: np.ndarray, tail: np.ndarray, dark: bool, noise: float) -> bool:
    """The tail is not the colour of the paper: it stands out from the image's median (mostly
    paper) — else it is the paper between strokes wider than the median's window.

    Dark ink may instead stand out from the paper round it (a region a quarter of the image
    wide), because a cast shadow over most of the page pulls the global median down to the
    ink's level. Light ink gets no such allowance: the paper between bold dark strokes is
    lighter than its surroundings in exactly that way.
    """
    sign = 1.0 if dark else -1.0
    if sign * float(np.median(_relative(np.float32(np.median(small)), small[tail]))) > noise / 2:
        return True
    if not dark:
        return False
    regional = cv2.medianBlur(small, _odd_side(min(small.shape) / 4))[tail]
    return float(np.median(_relative(regional, small[tail]))) > noise / 2


def _odd_side(value: float) -> int:
    side = max(3, int(value))
    return side if side % 2 else side + 1


def ink_is_dark(gray: np.ndarray) -> bool:
    """True for dark ink on a light background.

    Three tests, the first that is sure decides: the one-sided tail of
    differences from the local median (:func:`_median_tails`); then ink is
    thin and strong against what surrounds it: a black-hat (dark thin
    detail) and a top-hat (light thin detail) of a small copy of the image
    are compared at their strongest (99th percentile) — this holds when a
    cast shadow covers most of the page and when the digit touches every
    edge; last, the median against the extremes.
    """
    tails = _median_tails(gray)
    if tails is None and max(gray.shape) > 2 * TAIL_SIDES[0]:
        tails = _median_tails(gray, TAIL_SIDES[1])
    if tails is not None:
        return tails
    small = _shrunk(gray, min(1.0, 256 / max(gray.shape)))
    # A 9-px kernel at this size: wider than strokes, narrower than the paper inside a loop.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    dark = np.percentile(cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, kernel), 99)
    light = np.percentile(cv2.morphologyEx(small, cv2.MORPH_TOPHAT, kernel), 99)
    if abs(dark - light) > 4:
        return bool(dark > light)
    dark_end, median, bright_end = np.percentile(gray, (0.05, 50, 99.95))
    return bool(median - dark_end > bright_end - median)


def is_mnist_like(gray: np.ndarray, min_contrast: int = MIN_CONTRAST) -> bool:
    """True for a 28×28 image already in MNIST form (white digit on a black background).

    Such images go to the model untouched, as MNIST's own do: mostly black
    pixels, a black outer ring, and some ink.
    """
    if gray.shape != (MNIST_SIDE, MNIST_SIDE) or gray.dtype != np.uint8:
        return False
    # OpenCV's reductions cost a third of numpy's on 784 pixels; this runs for every image.
    last = MNIST_SIDE - 1  # rows/columns 0 and 27: the outer ring, without copying
    ring_ink = cv2.minMaxLoc(gray[::last])[1] + cv2.minMaxLoc(gray[:, ::last])[1]
    if ring_ink >= 2 * min_contrast:
        return False
    mean = cv2.mean(gray)[0]  # MNIST digits average ~33; dark ink on white paper ~200
    return bool(0 < mean < 2 * min_contrast)
