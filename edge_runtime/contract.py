"""The input contract of a digit model: how MNIST-form pixels become its input tensor.

Pure numpy, no interpreter. **MNIST form** is what the runtime's preprocessing hands
the model: ``uint8`` arrays ``(N, 28, 28)``, white ink (255) on a black background (0).
A model's :class:`InputContract` says how to turn those pixels into its input:

1. polarity: ``p' = 255 - p`` when the model was trained on dark ink on white;
2. range: the real value the model was trained on, ``x = p' · scale + offset``
   (0–255: scale 1; 0–1: scale 1/255; −1–1: scale 2/255, offset −1; mean/std:
   scale 1/std, offset −mean/std — the TFLite metadata ``NormalizationOptions``);
3. quantisation, for integer inputs only, through the model's *own* parameters:
   ``q = clip(round(x / input_scale) + zero_point)``;
4. layout: reshaped to the model's input shape (``[1,28,28]``, ``[1,28,28,1]``, ``[1,784]``).

All four are folded into one 256-entry lookup table (:func:`pixel_table`), so
converting an image costs one table lookup whatever the contract. Outputs are
dequantised and, for logits, put through a softmax (:func:`scores_to_probabilities`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

DIGIT_LABELS = tuple(str(d) for d in range(10))
OUTPUT_KINDS = ("probabilities", "logits")
#: Where a contract came from, strongest first.
SOURCES = ("options", "metadata", "probe", "default")


@dataclass(frozen=True)
class PixelRange:
    """A linear map from 0–255 pixels to the model's real input: ``x = p · scale + offset``."""

    scale: float = 1.0
    offset: float = 0.0

    @classmethod
    def from_range(cls, low: float, high: float) -> PixelRange:
        """Pixel 0 → ``low``, pixel 255 → ``high`` (e.g. ``(0, 1)``, ``(-1, 1)``)."""
        return cls((high - low) / 255.0, float(low))

    @classmethod
    def from_mean_std(cls, mean: float, std: float) -> PixelRange:
        """``x = (p - mean) / std`` on 0–255 pixels (TFLite metadata ``NormalizationOptions``)."""
        return cls(1.0 / std, -mean / std)

    @property
    def bounds(self) -> tuple[float, float]:
        """The real values of pixel 0 and pixel 255."""
        return self.offset, self.offset + 255.0 * self.scale

    @property
    def mean_std(self) -> tuple[float, float]:
        """The same map as TFLite ``NormalizationOptions`` (mean, std) on 0–255 pixels."""
        return -self.offset / self.scale, 1.0 / self.scale

    def label(self) -> str:
        """``0:1``, ``0:255``, ``-1:1`` … (the ``--input-range`` spelling)."""
        low, high = self.bounds
        return f"{_number(low)}:{_number(high)}"


def _number(value: float) -> str:
    rounded = round(value, 4)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


#: Conventions the load-time probe tries; near-ties go to the earlier, smaller-valued one
#: (see :mod:`edge_runtime.probe`).
PROBE_RANGES: tuple[PixelRange, ...] = (
    PixelRange.from_range(0, 1),
    PixelRange.from_mean_std(0.1307 * 255, 0.3081 * 255),  # torchvision's MNIST Normalize
    PixelRange.from_range(-1, 1),
    PixelRange.from_range(0, 255),
)


@dataclass(frozen=True)
class InputContract:
    """How MNIST-form pixels (uint8 ``(N, 28, 28)``, white on black) feed one model.

    Built once when a model loads (see :func:`edge_runtime.interpreter.TFLiteModel`);
    every path — classify, batch, live, bench — goes through it.
    """

    shape: tuple[int, ...]
    """The model's input shape, batch first: ``(1, 28, 28)``, ``(1, 28, 28, 1)``, ``(1, 784)``."""
    dtype: str
    """The input tensor's dtype name: ``float32``, ``uint8``, ``int8`` …"""
    pixels: PixelRange = PixelRange()
    """Real input value of each pixel (before quantisation)."""
    invert: bool = False
    """True when the model expects dark ink on a light background (pixels are flipped)."""
    input_scale: float = 0.0
    """The input tensor's quantisation scale (0: not quantised)."""
    input_zero_point: int = 0
    output: str = "probabilities"
    """``probabilities`` (softmax/sigmoid scores, renormalised) or ``logits`` (softmax applied)."""
    labels: tuple[str, ...] = DIGIT_LABELS
    """Name of each output class."""
    source: str = "default"
    """Where the contract came from: ``metadata``, ``options``, ``probe`` or ``default``."""
    detail: str = ""
    """How the source decided (e.g. the probe's score), for ``--describe`` and warnings."""

    @property
    def quantized(self) -> bool:
        return self.input_scale != 0.0 and np.issubdtype(np.dtype(self.dtype), np.integer)

    def with_source(self, source: str, detail: str = "") -> InputContract:
        return replace(self, source=source, detail=detail)

    def summary(self) -> str:
        """One line: ``pixels 0:1, white on black, float32 [1,28,28] → logits``."""
        polarity = "black on white" if self.invert else "white on black"
        quant = (
            f" (scale {self.input_scale:.6g}, zero point {self.input_zero_point})"
            if self.quantized
            else ""
        )
        shape = ",".join(str(d) for d in self.shape)
        return (
            f"pixels {self.pixels.label()}, {polarity}, {self.dtype}{quant} [{shape}]"
            f" → {self.output}"
        )

    def pin_hint(self) -> str:
        """How a user pins this convention instead of probing for it."""
        invert = "True" if self.invert else "False"
        flag = " --invert-input" if self.invert else ""
        return (
            f"DigitClassifier(model, input_range=({_number(self.pixels.bounds[0])}, "
            f"{_number(self.pixels.bounds[1])}), invert={invert}) or "
            f"--input-range {self.pixels.label()}{flag}"
        )


def pixel_table(contract: InputContract) -> np.ndarray | None:
    """The model input value of each pixel 0–255 (length 256, the input dtype).

    None when pixels go in unchanged (uint8 input that equals the pixel: our
    own int8 models calibrated on 0–255 with scale 1, zero point 0).
    """
    pixels = np.arange(256, dtype=np.float64)
    if contract.invert:
        pixels = 255.0 - pixels
    real = pixels * contract.pixels.scale + contract.pixels.offset
    dtype = np.dtype(contract.dtype)
    if contract.quantized:
        real = np.rint(real / contract.input_scale) + contract.input_zero_point
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        real = np.clip(np.rint(real), info.min, info.max)
    table = real.astype(dtype)
    if dtype == np.uint8 and np.array_equal(table, np.arange(256)):
        return None
    return table


def encode(pixels: np.ndarray, contract: InputContract, table: np.ndarray | None) -> np.ndarray:
    """MNIST-form pixels ``(N, 28, 28)`` → the model's input ``(N, *shape[1:])``.

    ``table`` is :func:`pixel_table` of ``contract``. uint8 pixels take one
    lookup; other dtypes (0–255 floats) are converted arithmetically.
    """
    batch = np.asarray(pixels)
    if batch.dtype == np.uint8:
        values = batch if table is None else table[batch]
    else:
        values = _encode_values(batch.astype(np.float32), contract)
    return np.ascontiguousarray(values).reshape((len(batch), *contract.shape[1:]))


def real_values(pixels: np.ndarray, pixel_range: PixelRange, invert: bool) -> np.ndarray:
    """The real values a model trained on ``pixel_range`` (and ``invert``) sees, float32."""
    values = np.asarray(pixels, dtype=np.float32)
    if invert:
        values = 255.0 - values
    return values * np.float32(pixel_range.scale) + np.float32(pixel_range.offset)


def _encode_values(pixels: np.ndarray, contract: InputContract) -> np.ndarray:
    real = real_values(pixels, contract.pixels, contract.invert)
    dtype = np.dtype(contract.dtype)
    if contract.quantized:
        real = np.rint(real / np.float32(contract.input_scale)) + contract.input_zero_point
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        real = np.clip(np.rint(real), info.min, info.max)
    return real.astype(dtype)


def scores_to_probabilities(scores: np.ndarray, output: str, scale: float = 1.0) -> np.ndarray:
    """Rows of class scores (times ``scale``, the output's quantisation) → probabilities.

    ``probabilities`` outputs (softmax, or sigmoid scores) are divided by their
    sum, where ``scale`` cancels; ``logits`` go through a softmax. Scores that
    cannot be probabilities (a negative value, or all zero) are treated as logits.
    """
    if output == "probabilities":
        totals = scores.sum(axis=-1, keepdims=True)
        if totals.all() and scores.min() >= 0:
            return scores / totals
    logits = scores * np.float32(scale)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def row_to_probabilities(shifted: list[float], output: str, scale: float) -> list[float]:
    """:func:`scores_to_probabilities` for one row as a Python list (the per-frame path).

    Ten numbers are normalised in plain Python: each numpy call costs about a
    microsecond, several times the arithmetic.
    """
    if output == "probabilities":
        total = sum(shifted)
        if total > 0 and min(shifted) >= 0:
            return [value / total for value in shifted]
    logits = [value * scale for value in shifted]
    top = max(logits)
    exps = [math.exp(value - top) for value in logits]
    total = sum(exps)
    return [value / total for value in exps]
