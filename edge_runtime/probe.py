"""Decide a model's input contract: options, then metadata, then a probe, then the default.

The **probe** runs bundled reference digits (1,000 real MNIST test digits, 100 per
class, from test indices 8000+: ``edge_runtime/models/reference_digits.npz``, indices
inside) through every candidate convention that is not pinned — pixel ranges 0–1,
mean/std (torchvision's MNIST normalisation), −1–1 and 0–255, each white-on-black and
inverted. Stage one reads the first 100 digits (10 per class) with each candidate and
drops those clearly worse than the best (a sign test over the digits they disagree
on); stage two reads all 1,000 with the survivors and keeps the one reading the most
(exact ties: the earlier, more common convention). Close calls are real: a ReLU network
reads inputs on a larger scale than it was trained on almost as well (a fraction of a
point to a few points worse), while a model trained on −1–1 or mean/std reads 0–1
inputs only 1.5–4.5 points worse — too close to call on 100 digits, not on 1,000.
A quantised input declares its range through its scale and zero point (the
calibration images' range), so only its polarity is probed.
Cost: ``python -m benchmarks.probe_cost`` (README).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np

from edge_runtime.contract import (
    DIGIT_LABELS,
    PROBE_RANGES,
    InputContract,
    PixelRange,
)
from edge_runtime.metadata import ModelMetadata

REFERENCE_FILE = "reference_digits.npz"
#: The probe warns when its best convention reads fewer reference digits than this.
MIN_PROBE_ACCURACY = 0.8
#: Candidates reading at most this many fewer reference digits than the best tie with it.
TIE_MARGIN = 1
#: Reference digits every candidate reads; close calls then read all of them.
FIRST_STAGE = 100


@dataclass(frozen=True)
class ContractOptions:
    """What a caller pins about the model's input (None: from metadata, else probed)."""

    input_range: tuple[float, float] | None = None
    """Real values of pixel 0 and pixel 255 the model was trained on, e.g. ``(0, 1)``."""
    invert: bool | None = None
    """True: the model expects dark ink on a light background."""
    probe: bool = True
    """Probe unpinned fields at load; False: take 0–255, white on black."""


@functools.lru_cache(maxsize=1)
def reference_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled reference digits: uint8 ``(1000, 28, 28)`` MNIST form and their labels."""
    path = resources.files("edge_runtime") / "models" / REFERENCE_FILE
    with path.open("rb") as handle, np.load(handle) as data:
        return data["images"].copy(), data["labels"].astype(np.intp)  # intp: bincount on 32-bit ARM


#: ``predict(contract, pixels)`` → probabilities ``(N, 10)``.
Predictor = Callable[[InputContract, np.ndarray], np.ndarray]


def choose_contract(
    base: InputContract, metadata: ModelMetadata, options: ContractOptions, predict: Predictor
) -> InputContract:
    """The contract in force: ``base`` (tensor facts) completed field by field.

    Each of range and polarity comes from ``options``, else ``metadata``, else the
    probe (when ``options.probe``), else the default (0–255, white on black).
    """
    contract = replace(
        base,
        output=metadata.output or base.output,
        labels=metadata.labels if metadata.labels and len(metadata.labels) == 10 else DIGIT_LABELS,
    )
    pixels: PixelRange | None = None
    if options.input_range is not None:
        pixels = PixelRange.from_range(*options.input_range)
    elif metadata.pixels is not None:
        pixels = metadata.pixels
    invert = options.invert if options.invert is not None else metadata.invert
    if pixels is not None and invert is not None:
        pinned = options.input_range is not None or options.invert is not None
        return replace(contract, pixels=pixels, invert=invert, source=_source(pinned))
    if not options.probe:
        return replace(
            contract,
            pixels=pixels or PixelRange(),
            invert=bool(invert),
            source="default",
            detail="probe disabled: unpinned fields take 0-255, white on black",
        )
    return _probe(contract, pixels, invert, predict)


def _source(pinned_by_options: bool) -> str:
    return "options" if pinned_by_options else "metadata"


def candidates(
    contract: InputContract, pixels: PixelRange | None, invert: bool | None
) -> list[InputContract]:
    """Every convention the probe tries, pinned fields fixed, in order of preference.

    A quantised input declares its range: what its scale and zero point represent is
    the range of the calibration images, so only polarity is probed for it.
    """
    integer_input = not contract.quantized and np.dtype(contract.dtype).kind in "iu"
    ranges = [pixels] if pixels is not None else list(PROBE_RANGES)
    if integer_input:  # a model that casts integers inside takes raw pixels
        ranges = [pixels or PixelRange()]
    elif contract.quantized and pixels is None:
        ranges = [_calibrated_range(contract)]
    inverts = [invert] if invert is not None else [False, True]
    return [replace(contract, pixels=r, invert=i) for i in inverts for r in ranges]


def _calibrated_range(contract: InputContract) -> PixelRange:
    """The real range a quantised input represents, snapped to a common convention if close."""
    info = np.iinfo(np.dtype(contract.dtype))
    low = (info.min - contract.input_zero_point) * contract.input_scale
    high = (info.max - contract.input_zero_point) * contract.input_scale
    nearest = min(PROBE_RANGES, key=lambda r: abs(r.bounds[0] - low) + abs(r.bounds[1] - high))
    distance = abs(nearest.bounds[0] - low) + abs(nearest.bounds[1] - high)
    return nearest if distance <= 0.05 * (high - low) else PixelRange.from_range(low, high)


def _probe(
    contract: InputContract, pixels: PixelRange | None, invert: bool | None, predict: Predictor
) -> InputContract:
    images, labels = reference_digits()
    tried = candidates(contract, pixels, invert)
    quick = [predict(c, images[:FIRST_STAGE]).argmax(axis=1) == labels[:FIRST_STAGE] for c in tried]
    top = max(range(len(tried)), key=lambda i: int(quick[i].sum()))
    survivors = [i for i in range(len(tried)) if not _clearly_worse(quick[i], quick[top])]
    right = {i: quick[i] for i in range(len(tried))}
    if len(survivors) > 1:  # close calls are settled on all the reference digits
        for i in survivors:
            rest = predict(tried[i], images[FIRST_STAGE:]).argmax(axis=1) == labels[FIRST_STAGE:]
            right[i] = np.concatenate([quick[i], rest])
    chosen = max(survivors, key=lambda i: (int(right[i].sum()), -i))  # ties: the earlier
    best = tried[chosen]
    detail = f"probe: {_score(right[chosen])} reference digits read right with {_convention(best)}"
    others = [i for i in survivors if i != chosen] or [i for i in range(len(tried)) if i != chosen]
    if others:
        runner_up = max(others, key=lambda i: int(right[i].sum()))
        detail += f" (next: {_convention(tried[runner_up])}, {_score(right[runner_up])})"
    if right[chosen].mean() < MIN_PROBE_ACCURACY:
        detail += "; no convention reads them well: is this an MNIST-style digit model?"
    return replace(best, source="probe", detail=detail)


def _score(right: np.ndarray) -> str:
    return f"{int(right.sum())}/{len(right)}"


def _clearly_worse(mine: np.ndarray, best: np.ndarray) -> bool:
    """True when ``best`` reads significantly more digits right (a sign test, ~2 sigma).

    Only the digits the two conventions disagree on count: ``best`` must win by more
    than :data:`TIE_MARGIN` and by more than twice the noise of that many coin flips.
    """
    wins = int((best & ~mine).sum())
    losses = int((mine & ~best).sum())
    return wins - losses > max(TIE_MARGIN, 2 * math.sqrt(wins + losses))


def _convention(contract: InputContract) -> str:
    polarity = "inverted" if contract.invert else "white on black"
    return f"pixels {contract.pixels.label()}, {polarity}"
