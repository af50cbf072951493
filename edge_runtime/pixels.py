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
        elif np.issubdtype(image.dtype, np.floating) and np.nanmax(image) <= 1.0:
            image = np.clip(np.nan_to_num(image) * 255.0, 0, 255).astype(np.uint8)
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


def ink_is_dark(gray: np.ndarray) -> bool:
    """True for dark ink on a light background.

    Ink is the minority of pixels, so the median is background: the ink is
    dark when the median lies nearer the bright extreme (99.95th percentile)
    than the dark one (0.05th) — extremes that a thin pen line on a big page
    still reaches. Unlike a global split, this holds under uneven light and
    when the digit touches every edge of the image.
    """
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
