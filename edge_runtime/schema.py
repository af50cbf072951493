"""The JSON form of results: one schema for ``digits-classify --json`` and ``digits-serve``.

Plain dicts of JSON types (floats rounded to 6 places, milliseconds to 4) so
scripts can rely on the same keys whichever tool produced them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from edge_runtime.results import NumberReading, Prediction


def prediction_json(prediction: Prediction) -> dict[str, Any]:
    """``{"digit", "confidence", "probabilities", "inference_ms", "box", "reason"}``."""
    return {
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 6),
        "probabilities": [round(p, 6) for p in prediction.probabilities],
        "inference_ms": round(prediction.inference_ms, 4),
        "box": asdict(prediction.box) if prediction.box else None,
        "reason": prediction.reason,
    }


def reading_json(reading: NumberReading) -> dict[str, Any]:
    """``{"number", "confidence", "box", "reason", "digits": [prediction_json, ...]}``."""
    return {
        "number": reading.text if reading.digits else None,
        "confidence": round(reading.confidence, 6),
        "box": asdict(reading.box) if reading.box else None,
        "reason": reading.reason,
        "digits": [prediction_json(p) for p in reading.digits],
    }
