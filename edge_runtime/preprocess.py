"""Turn any photo or frame into what MNIST looks like: pure numpy-in, numpy-out functions.

Pixel contract: inputs are ``uint8`` arrays, either gray ``(H, W)``, BGR
``(H, W, 3)`` or BGRA ``(H, W, 4)`` (OpenCV's colour order); any size, dark ink
on light paper or light on dark. Outputs are ``uint8`` ``(28, 28)`` images with
a white digit on black, its longest side scaled to 20 px and its centre of mass
at the centre — how MNIST itself was made.

Pipeline: gray → polarity (ink made white) → background flattened (top-hat,
so uneven light does not matter) → denoise → threshold (Otsu or adaptive) →
ruled/grid lines removed → components grouped into digits → each digit
cropped, stroke width made MNIST-like, scaled to 20 px, padded to 28×28 and
centred by mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge_runtime.errors import ImageError
from edge_runtime.results import Box

MNIST_SIDE = 28
MNIST_DIGIT_SIDE = 20


@dataclass(frozen=True)
class PreprocessOptions:
    """Knobs of the preprocessing pipeline; the defaults suit paper photos and webcams."""

    threshold: str = "otsu"
    """``"otsu"`` (global, after background flattening) or ``"adaptive"`` (local mean)."""
    working_side: int = 512
    """Large frames are shrunk to at most this longest side (speed; boxes are mapped back)."""
    min_contrast: int = 40
    """Ink must stand out from the background by this many gray levels, or there is no digit."""
    min_ink_fraction: float = 0.0005
    """Components smaller than this fraction of the image are noise."""
    min_relative_area: float = 0.06
    """Components smaller than this fraction of the largest one are noise (dots, dust)."""
    remove_lines: bool = True
    """Remove ruled or squared-paper lines that run across most of the image."""
    target_stroke_ratio: float = 0.11
    """Stroke width / digit height wanted before scaling (MNIST's is about 0.1-0.15)."""


DEFAULT_OPTIONS = PreprocessOptions()


@dataclass(frozen=True)
class DigitCrop:
    """One digit ready for the model: 28×28 uint8 white-on-black pixels and where it was found."""

    pixels: np.ndarray
    box: Box


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
        elif np.issubdtype(image.dtype, np.floating) and image.max(initial=0) <= 1.0:
            image = np.clip(image * 255.0, 0, 255).astype(np.uint8)
        elif np.issubdtype(image.dtype, np.number):
            image = np.clip(image, 0, 255).astype(np.uint8)
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
        if np.ptp(composite) < DEFAULT_OPTIONS.min_contrast <= np.ptp(image[:, :, 3]):
            return (255 - image[:, :, 3]).astype(np.uint8)
        return np.clip(composite, 0, 255).astype(np.uint8)
    raise ImageError(
        f"expected a gray (H, W), BGR (H, W, 3) or BGRA (H, W, 4) image, got shape {image.shape}"
    )


def _odd(value: float, minimum: int = 3) -> int:
    size = max(minimum, round(value))
    return size if size % 2 else size + 1


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


def ink_image(gray: np.ndarray) -> np.ndarray:
    """White-on-black ink strength with the background flattened to ~0.

    The image is inverted when the ink is dark, then a morphological top-hat
    with a kernel far wider than any stroke removes the background, however
    unevenly lit. OpenCV's morphology ignores pixels beyond the border, so a
    stroke touching the edge is measured against the paper beside it.
    """
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    ink = 255 - blurred if ink_is_dark(blurred) else blurred
    side = min(ink.shape)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(side / 3), _odd(side / 3)))
    return cv2.morphologyEx(ink, cv2.MORPH_TOPHAT, kernel)


def ink_mask(ink: np.ndarray, options: PreprocessOptions = DEFAULT_OPTIONS) -> np.ndarray | None:
    """Binary mask (0/255) of ink pixels, or None when nothing stands out enough.

    Otsu alone fails when the digit is a tiny fraction of a textured frame (it
    then splits the paper texture in two), so the threshold is never below
    40% of the strongest stroke: a stroke's core is always above that, paper
    texture well below.
    """
    # The strongest ink after a 5×5 box blur: isolated noise pixels average away, strokes don't.
    peak = int(cv2.blur(ink, (5, 5)).max())
    if peak < options.min_contrast:
        return None
    floor = max(0.4 * peak, options.min_contrast / 2)
    if options.threshold == "adaptive":
        block = _odd(min(ink.shape) / 8, minimum=11)
        mask = cv2.adaptiveThreshold(
            ink,
            255,
            cv2.ADAPTIVE_THRESH_MEAN_C,
            cv2.THRESH_BINARY,
            block,
            -options.min_contrast / 4,
        )
        # Adaptive thresholds fire on faint texture; keep only pixels that are clearly ink.
        mask[ink < floor] = 0
        return mask
    if options.threshold != "otsu":
        raise ImageError(f"threshold must be 'otsu' or 'adaptive', got {options.threshold!r}")
    level, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, mask = cv2.threshold(ink, max(level, floor), 255, cv2.THRESH_BINARY)
    return mask


def remove_ruled_lines(mask: np.ndarray, min_lines: int = 3) -> np.ndarray:
    """Erase ruled or squared-paper lines: families of straight lines across 70% of the image.

    A single long stroke is a digit's (the bar of a 7 that fills the image),
    so lines are removed only when at least ``min_lines`` parallel ones are
    found. Small gaps the removal cuts into strokes crossing a line are closed.
    """
    height, width = mask.shape
    lines = np.zeros_like(mask)
    for length, horizontal in ((int(width * 0.7), True), (int(height * 0.7), False)):
        if length < 15:
            continue
        kernel = cv2.getStructuringElement(
            cv2.MORPH_RECT, (length, 1) if horizontal else (1, length)
        )
        found = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        count, _ = cv2.connectedComponents(found)
        if count - 1 >= min_lines:
            lines |= found
    if not lines.any():
        return mask
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    cleaned = cv2.bitwise_and(mask, cv2.bitwise_not(lines))
    return cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))


def digit_boxes(mask: np.ndarray, options: PreprocessOptions = DEFAULT_OPTIONS) -> list[Box]:
    """Boxes of the digits in ``mask``, left to right.

    Components too small to be ink are dropped; components that overlap
    horizontally (the parts of a broken 5, a 7's bar) are merged into one digit.
    """
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if count <= 1:
        return []
    floor = max(options.min_ink_fraction * mask.size, options.min_relative_area * areas.max(), 4)
    boxes = [
        [int(x), int(y), int(x + w), int(y + h)] for x, y, w, h, area in stats[1:] if area >= floor
    ]
    boxes.sort()
    merged: list[list[int]] = []
    for box in boxes:
        if merged:
            last = merged[-1]
            overlap = min(last[2], box[2]) - max(last[0], box[0])
            narrower = min(last[2] - last[0], box[2] - box[0])
            if overlap > 0.5 * narrower:
                merged[-1] = [
                    min(last[0], box[0]),
                    min(last[1], box[1]),
                    max(last[2], box[2]),
                    max(last[3], box[3]),
                ]
                continue
        merged.append(box)
    return [Box(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in merged]


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary digit mask: ``2 × area / perimeter`` (long thin strokes)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    area = float(np.count_nonzero(mask))
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def center_by_mass(digit: np.ndarray) -> np.ndarray:
    """Pad a digit (longest side ≤ 20) into 28×28 with its centre of mass at the centre."""
    canvas = np.zeros((MNIST_SIDE, MNIST_SIDE), np.uint8)
    height, width = digit.shape
    top, left = (MNIST_SIDE - height) // 2, (MNIST_SIDE - width) // 2
    canvas[top : top + height, left : left + width] = digit
    moments = cv2.moments(canvas)
    if moments["m00"] == 0:
        return canvas
    shift_x = MNIST_SIDE / 2 - moments["m10"] / moments["m00"]
    shift_y = MNIST_SIDE / 2 - moments["m01"] / moments["m00"]
    # Limit the shift so the digit never leaves the frame.
    shift_x = float(np.clip(shift_x, -left, MNIST_SIDE - left - width))
    shift_y = float(np.clip(shift_y, -top, MNIST_SIDE - top - height))
    matrix = np.array([[1, 0, shift_x], [0, 1, shift_y]], dtype=np.float32)
    return cv2.warpAffine(canvas, matrix, (MNIST_SIDE, MNIST_SIDE), flags=cv2.INTER_LINEAR)


def to_mnist(
    ink: np.ndarray, mask: np.ndarray, box: Box, options: PreprocessOptions = DEFAULT_OPTIONS
) -> np.ndarray:
    """Crop one digit and make it MNIST-like: 28×28 uint8, longest side 20 px, centred by mass."""
    crop_mask = mask[box.y : box.bottom, box.x : box.right]
    crop_ink = ink[box.y : box.bottom, box.x : box.right]
    # Ink strength inside the mask, stretched so a typical stroke is full white.
    strokes = crop_ink[crop_mask > 0]
    full = float(np.percentile(strokes, 90)) if strokes.size else 255.0
    digit: np.ndarray = np.where(
        cv2.dilate(crop_mask, np.ones((3, 3), np.uint8)) > 0,
        np.clip(crop_ink.astype(np.float32) * (255.0 / max(full, 1.0)), 0, 255),
        0,
    ).astype(np.uint8)
    long_side = max(box.width, box.height)
    wanted = options.target_stroke_ratio * long_side
    width = stroke_width(crop_mask)
    if 0 < width < 0.6 * wanted:  # thin pen on a big canvas: thicken before shrinking
        size = _odd(wanted - width + 1, minimum=3)  # dilation adds size - 1 to the width
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        digit = cv2.dilate(np.maximum(digit, crop_mask).astype(np.uint8), kernel)
    scale = MNIST_DIGIT_SIDE / long_side
    new_size = (max(1, round(box.width * scale)), max(1, round(box.height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return center_by_mass(cv2.resize(digit, new_size, interpolation=interpolation))


def _working_copy(gray: np.ndarray, options: PreprocessOptions) -> tuple[np.ndarray, float]:
    scale = min(1.0, options.working_side / max(gray.shape))
    if scale < 1.0:
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    if max(gray.shape) < 56:  # tiny scans (16×16, 28×28): upsample so morphology has room
        factor = 56 / max(gray.shape)
        size = (round(gray.shape[1] * factor), round(gray.shape[0] * factor))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)
        scale = factor
    return gray, scale


def find_digits(
    image: np.ndarray, options: PreprocessOptions = DEFAULT_OPTIONS
) -> tuple[list[DigitCrop], str | None]:
    """All digits in ``image`` left to right as MNIST-like crops, or ``([], reason)``."""
    gray, scale = _working_copy(to_gray(image), options)
    if np.ptp(gray) < options.min_contrast:
        return [], f"no digit: blank image (contrast {int(np.ptp(gray))} < {options.min_contrast})"
    ink = ink_image(gray)
    mask = ink_mask(ink, options)
    if mask is None:
        return [], "no digit: nothing stands out from the background"
    if options.remove_lines:
        mask = remove_ruled_lines(mask)
    boxes = digit_boxes(mask, options)
    if not boxes:
        return [], "no digit: no ink found"
    crops = []
    for box in boxes:
        original = Box(
            x=int(box.x / scale),
            y=int(box.y / scale),
            width=max(1, round(box.width / scale)),
            height=max(1, round(box.height / scale)),
        )
        crops.append(DigitCrop(to_mnist(ink, mask, box, options), original))
    return crops, None


def largest_digit(crops: list[DigitCrop]) -> DigitCrop:
    """The digit with the largest box: the one a single-digit classifier should read."""
    return max(crops, key=lambda crop: crop.box.width * crop.box.height)
