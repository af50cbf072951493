"""Synthetic input kinds, one property each, for focused tests (see benchmarks.synthetic).

Each turns a real MNIST digit into one kind of image a user may hand the
runtime: ink on paper, squared or ruled paper, a thin pen on a big page, a
digit filling its image, light strokes on a dark screen, strokes only in an
alpha channel, a tiny scan. Deterministic; the handwriting is real.
"""

from __future__ import annotations

import cv2
import numpy as np


def ink_on_paper(digit: np.ndarray, side: int, paper: int = 235, ink: int = 30) -> np.ndarray:
    """An MNIST digit enlarged to ``side`` px as dark ink on light paper (gray uint8)."""
    big = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    return np.clip(paper - (paper - ink) * big, 0, 255).astype(np.uint8)


def on_page(
    digit: np.ndarray, page_shape=(480, 640), side=180, top=140, left=240, paper: int = 235
) -> np.ndarray:
    """A gray page with the digit as ink at (top, left)."""
    page = np.full(page_shape, paper, np.uint8)
    patch = ink_on_paper(digit, side, paper=paper)
    page[top : top + side, left : left + side] = np.minimum(
        page[top : top + side, left : left + side], patch
    )
    return page


def squared_paper(digit: np.ndarray, spacing: int = 32, ruled_only: bool = False) -> np.ndarray:
    """BGR page of light-blue squared (or ruled) paper with the digit written over the grid."""
    page = np.full((480, 640, 3), (245, 240, 235), np.uint8)
    line_colour = (220, 170, 120)  # light blue in BGR
    for y in range(spacing // 2, 480, spacing):
        cv2.line(page, (0, y), (639, y), line_colour, 2)
    if not ruled_only:
        for x in range(spacing // 2, 640, spacing):
            cv2.line(page, (x, 0), (x, 479), line_colour, 2)
    ink = cv2.resize(digit, (200, 200), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    region = page[140:340, 220:420].astype(np.float32)
    pen = np.array([90, 40, 20], np.float32)  # dark blue ballpoint
    page[140:340, 220:420] = (region * (1 - ink[..., None]) + pen * ink[..., None]).astype(np.uint8)
    return page


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a binary mask to one-pixel-wide lines (vectorised numpy)."""
    image = (mask > 0).astype(np.uint8)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            padded = np.pad(image, 1)
            p2, p3, p4 = padded[:-2, 1:-1], padded[:-2, 2:], padded[1:-1, 2:]
            p5, p6, p7 = padded[2:, 2:], padded[2:, 1:-1], padded[2:, :-2]
            p8, p9 = padded[1:-1, :-2], padded[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(ring[:8])
            transitions = sum((ring[i] == 0) & (ring[i + 1] == 1) for i in range(8))
            if step == 0:
                keep_a, keep_b = p2 * p4 * p6, p4 * p6 * p8
            else:
                keep_a, keep_b = p2 * p4 * p8, p2 * p6 * p8
            remove = (
                (image == 1)
                & (neighbours >= 2)
                & (neighbours <= 6)
                & (transitions == 1)
                & (keep_a == 0)
                & (keep_b == 0)
            )
            if remove.any():
                image[remove] = 0
                changed = True
    return image * 255


def thin_pen(digit: np.ndarray, canvas: int = 1200, stroke_px: int = 2) -> np.ndarray:
    """A real MNIST digit redrawn as a thin pen line (``stroke_px`` wide) on a large white page.

    The enlarged digit is thinned to its skeleton, so the handwriting is real
    but the stroke is far thinner, relative to the digit, than MNIST's.
    """
    side = canvas // 2
    big = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC)
    line = skeleton(big > 128)
    if stroke_px > 1:
        line = cv2.dilate(line, np.ones((stroke_px, stroke_px), np.uint8))
    page = np.full((canvas, canvas), 255, np.uint8)
    offset = canvas // 4
    page[offset : offset + side, offset : offset + side] = 255 - line
    return page


def filling_image(digit: np.ndarray, height: int = 200) -> np.ndarray:
    """Dark ink on white cropped tight: the digit fills the image and touches all its edges."""
    ys, xs = np.nonzero(digit > 30)
    tight = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255
    width = max(8, round(tight.shape[1] * height / tight.shape[0]))
    big = cv2.resize(tight, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(235 - 205 * big, 0, 255).astype(np.uint8)


def dark_screen(digit: np.ndarray) -> np.ndarray:
    """Light strokes on a dark, slightly noisy screen (BGR)."""
    rng = np.random.default_rng(0)
    page = np.full((360, 480), 25, np.float32) + rng.normal(0, 3, (360, 480))
    big = cv2.resize(digit, (160, 160), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    page[100:260, 160:320] = np.maximum(page[100:260, 160:320], big * 0.85)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def alpha_only_png(digit: np.ndarray, colour: int = 0) -> np.ndarray:
    """BGRA image whose colour channels are uniform and whose strokes live only in alpha."""
    big = cv2.resize(digit, (112, 112), interpolation=cv2.INTER_CUBIC)
    bgra = np.full((112, 112, 4), colour, np.uint8)
    bgra[:, :, 3] = big
    return bgra


def tiny_scan(digit: np.ndarray, side: int = 16) -> np.ndarray:
    """A tiny dark-on-light scan (e.g. 16×16)."""
    return ink_on_paper(cv2.resize(digit, (side, side), interpolation=cv2.INTER_AREA), side)
