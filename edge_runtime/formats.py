"""The one table of model formats: what ``digits-convert`` writes, ``digits-bench`` runs and
the runtime ships.

Pure data — no TensorFlow, importable on a Raspberry Pi. The converter turns a row's
recipe (``weights``, ``activations``, ``io_types``) into converter settings, the benchmark
derives one ``tflite-<name>`` row per format, and the runtime's bundled model is the
``int8`` row's file. File names are defined here and nowhere else.

Adding a format is one line in :data:`FORMATS`, e.g.::

    ModelFormat("int16x8", "int16 activations, int8 weights", "int8", "int16", ("float32",)),
"""

from __future__ import annotations

from dataclasses import dataclass

#: Weight and activation types the converter knows how to produce.
WEIGHT_TYPES = ("float32", "float16", "int8")
ACTIVATION_TYPES = ("float32", "int8", "int16")


@dataclass(frozen=True)
class ModelFormat:
    """One TFLite format: its name, what it does to the model, and its file name."""

    name: str
    """Short name used by ``digits-convert -q NAME`` and the benchmark's ``tflite-NAME`` row."""
    description: str
    """One line for tables and ``--help``."""
    weights: str = "float32"
    """Stored weight type: ``float32``, ``float16`` or ``int8``."""
    activations: str = "float32"
    """Activation type at run time: ``float32``, ``int8`` or ``int16`` (integer ones need
    calibration images)."""
    io_types: tuple[str, ...] = ("float32",)
    """Input/output tensor types the converter may give this format; the first is its default."""

    @property
    def file_name(self) -> str:
        """The file ``digits-convert`` writes, e.g. ``digits_int8.tflite``."""
        return f"digits_{self.name}.tflite"

    @property
    def needs_calibration(self) -> bool:
        """True when integer activations need a representative dataset."""
        return self.activations != "float32"

    def io_type(self, requested: str) -> str:
        """``requested`` if this format accepts it as input/output type, else its default."""
        return requested if requested in self.io_types else self.io_types[0]


def _table(*formats: ModelFormat) -> dict[str, ModelFormat]:
    return {fmt.name: fmt for fmt in formats}


FORMATS: dict[str, ModelFormat] = _table(
    ModelFormat("float32", "no quantisation (reference)"),
    ModelFormat("float16", "float16 weights, float32 maths", "float16"),
    ModelFormat("dynamic", "int8 weights, float activations", "int8"),
    ModelFormat(
        "int8", "full-integer int8, calibrated", "int8", "int8", ("uint8", "int8", "float32")
    ),
    # TFLite's 16x8 mode: for activation-sensitive models; runs on slower reference kernels.
    ModelFormat("int16x8", "int16 activations, int8 weights, calibrated", "int8", "int16"),
)
#: Every input/output type some format accepts (``digits-convert --io-type``).
IO_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for f in FORMATS.values() for t in f.io_types))
#: The format of the model bundled inside ``edge_runtime/models``.
BUNDLED_FORMAT = FORMATS["int8"]
