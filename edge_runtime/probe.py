"""Decide a model's input contract: options, then metadata, then a probe, then the default.

The **probe** runs the bundled reference digits (100 real MNIST test digits, 10 per
class: ``edge_runtime/models/reference_digits.npz``, test-set indices inside) through
every candidate convention that is not pinned — pixel ranges 0–1, mean/std
(torchvision's MNIST normalisation), −1–1 and 0–255, each white-on-black and inverted —
and keeps the one that reads the most digits right. Candidates within
:data:`TIE_MARGIN` digits of the best count as tied, and the tie goes to the earlier
one in that order: inputs too *small* for a model (0–1 into a model that divides by 255
itself) fail loudly, while inputs too *large* (0–255 into a ReLU network trained on 0–1)
often still read most digits, a few points worse. Its cost is at most eight batched
calls of 100 images, once, at load (``python -m benchmarks.probe_cost``).
"""

from __future__ import annotations

import functools
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
    """The bundled reference digits: uint8 ``(100, 28, 28)`` MNIST form and their labels."""
    path = resources.files("edge_runtime") / "models" / REFERENCE_FILE
    with path.open("rb") as handle, np.load(handle) as data:
        return data["images"].copy(), data["labels"].astype(np.int64)


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
    """Every convention the probe tries, pinned fields fixed, most common first."""
    integer_input = not contract.quantized and np.dtype(contract.dtype).kind in "iu"
    ranges = [pixels] if pixels is not None else list(PROBE_RANGES)
    if integer_input:  # a model that casts integers inside takes raw pixels
        ranges = [pixels or PixelRange()]
    inverts = [invert] if invert is not None else [False, True]
    return [replace(contract, pixels=r, invert=i) for i in inverts for r in ranges]


def _probe(
    contract: InputContract, pixels: PixelRange | None, invert: bool | None, predict: Predictor
) -> InputContract:
    images, labels = reference_digits()
    scored = []
    for candidate in candidates(contract, pixels, invert):
        probabilities = predict(candidate, images)
        scored.append((int((probabilities.argmax(axis=1) == labels).sum()), candidate))
    top = max(correct for correct, _ in scored)
    correct, best = next(item for item in scored if item[0] >= top - TIE_MARGIN)
    others = sorted((item for item in scored if item[1] is not best), key=lambda item: -item[0])
    detail = f"probe: {correct}/{len(labels)} reference digits read right with {_convention(best)}"
    if others:
        detail += f" (next: {_convention(others[0][1])}, {others[0][0]}/{len(labels)})"
    if correct < MIN_PROBE_ACCURACY * len(labels):
        detail += "; no convention reads them well: is this an MNIST-style digit model?"
    return replace(best, source="probe", detail=detail)


def _convention(contract: InputContract) -> str:
    polarity = "inverted" if contract.invert else "white on black"
    return f"pixels {contract.pixels.label()}, {polarity}"
