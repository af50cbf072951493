"""Drawing: the live overlay and the "what the model sees" debug picture (pure numpy in/out)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

import numpy as np

from edge_runtime.opencv import cv2
from edge_runtime.results import Box, NumberReading, Prediction, Rejected

_GREEN = (60, 200, 60)
_RED = (40, 40, 220)
_WHITE = (255, 255, 255)
_ORANGE = (0, 140, 255)


def gui_available() -> bool:
    """True when OpenCV was built with a GUI backend and there is a display to show it on."""
    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    if match is None or match.group(1).upper() == "NONE":
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image.copy()


def _label(
    canvas: np.ndarray,
    text: str,
    origin: tuple[int, int],
    colour: tuple[int, int, int],
    scale: float = 0.8,
) -> None:
    x, y = origin
    (width, height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    y = max(height + 4, y)
    cv2.rectangle(canvas, (x, y - height - 6), (x + width + 6, y + baseline - 2), (0, 0, 0), -1)
    cv2.putText(
        canvas, text, (x + 3, y - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 2, cv2.LINE_AA
    )


def _draw_prediction(canvas: np.ndarray, prediction: Prediction) -> None:
    if prediction.box is None:
        return
    box: Box = prediction.box
    colour = _GREEN if prediction.found else _RED
    cv2.rectangle(canvas, (box.x, box.y), (box.right, box.bottom), colour, 2)
    _label(canvas, f"{prediction.label} {prediction.confidence:.0%}", (box.x, box.y - 4), colour)


def draw_overlay(frame: np.ndarray, reading: NumberReading, fps: float | None = None) -> np.ndarray:
    """A copy of ``frame`` (BGR) with digit boxes, the number read, its confidence and FPS."""
    canvas = _as_bgr(frame)
    for prediction in reading.digits:
        _draw_prediction(canvas, prediction)
    headline = (
        f"{reading.text}  ({reading.confidence:.0%})"
        if reading.found
        else (reading.reason or "no digit")
    )
    _label(canvas, headline, (8, 30), _GREEN if reading.found else _RED, scale=0.9)
    if fps is not None:
        _label(canvas, f"{fps:.1f} FPS", (8, canvas.shape[0] - 10), _WHITE, scale=0.6)
    return canvas


def draw_rejected(canvas: np.ndarray, rejected: Sequence[Rejected]) -> None:
    """Thin orange boxes around ink that was not read as a digit, each with its short reason."""
    scale = max(0.4, min(canvas.shape[:2]) / 1200)
    for item in rejected:
        box = item.box
        cv2.rectangle(canvas, (box.x, box.y), (box.right, box.bottom), _ORANGE, 1)
        short = item.reason.split(" (")[0]
        cv2.putText(
            canvas,
            short,
            (box.x, min(canvas.shape[0] - 2, box.bottom + int(14 * scale / 0.4))),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            _ORANGE,
            1,
            cv2.LINE_AA,
        )


def model_view(
    frame: np.ndarray,
    model_inputs: list[np.ndarray],
    reading: NumberReading,
    tile_side: int = 168,
    rejected: Sequence[Rejected] = (),
) -> np.ndarray:
    """The frame with its boxes beside each 28×28 model input enlarged: what the model sees.

    Ink that was rejected as "not a digit" is boxed in orange with its reason.
    """
    annotated = draw_overlay(frame, reading)
    draw_rejected(annotated, rejected)
    scale = tile_side * 2 / annotated.shape[0] if annotated.shape[0] > tile_side * 2 else 1.0
    if scale != 1.0:
        annotated = cv2.resize(annotated, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tiles = []
    for pixels, prediction in zip(model_inputs, reading.digits, strict=False):
        tile = cv2.resize(pixels, (tile_side, tile_side), interpolation=cv2.INTER_NEAREST)
        tile = cv2.cvtColor(tile, cv2.COLOR_GRAY2BGR)
        _label(tile, prediction.label, (4, 24), _GREEN if prediction.found else _RED, 0.7)
        tiles.append(tile)
    if not tiles:
        tiles = [np.zeros((tile_side, tile_side, 3), np.uint8)]
    strip = _grid(tiles)
    height = max(annotated.shape[0], strip.shape[0])
    return np.hstack([_pad_to_height(annotated, height), _pad_to_height(strip, height)])


def _grid(tiles: list[np.ndarray], columns: int = 4) -> np.ndarray:
    """Tiles in rows of ``columns`` (blank-filled), or a single row when there are fewer."""
    blank = np.zeros_like(tiles[0])
    rows = []
    for start in range(0, len(tiles), columns):
        row = tiles[start : start + columns]
        if len(tiles) > columns:
            row = row + [blank] * (columns - len(row))
        rows.append(np.hstack(row))
    return np.vstack(rows)


def _pad_to_height(image: np.ndarray, height: int) -> np.ndarray:
    return cv2.copyMakeBorder(
        image, 0, height - image.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)
    )
