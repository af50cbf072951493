"""digits-edge's on-device runtime: classify handwritten digits with a TFLite model.

>>> from edge_runtime import DigitClassifier
>>> classifier = DigitClassifier()            # the bundled int8 model
>>> classifier.classify("photo.jpg").digit    # doctest: +SKIP

Imports are lazy so ``import edge_runtime`` costs almost nothing; TensorFlow is
never imported (a Raspberry Pi installs this without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "DigitClassifier",
    "DigitsError",
    "NumberReading",
    "Prediction",
    "PreprocessOptions",
]

if TYPE_CHECKING:
    from edge_runtime.classifier import DigitClassifier
    from edge_runtime.errors import DigitsError
    from edge_runtime.preprocess import PreprocessOptions
    from edge_runtime.results import NumberReading, Prediction

_LAZY = {
    "DigitClassifier": "edge_runtime.classifier",
    "DigitsError": "edge_runtime.errors",
    "NumberReading": "edge_runtime.results",
    "Prediction": "edge_runtime.results",
    "PreprocessOptions": "edge_runtime.preprocess",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'edge_runtime' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
