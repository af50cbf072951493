"""Read a ``.tflite`` file's structure without TensorFlow: tensors, operators, metadata.

A minimal FlatBuffers reader (little-endian tables, vtables, vectors, strings) over the
few fields of TensorFlow Lite's ``schema.fbs`` this project needs: the main subgraph's
tensors, inputs, outputs and operators, the ``metadata`` name → buffer entries, and the
appended ZIP of associated files (label files) that TFLite metadata uses. No interpreter,
no third-party package: a Raspberry Pi reads the same metadata the converter wrote.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

from edge_runtime.errors import ModelLoadError

#: TensorType enum of schema.fbs → numpy dtype names.
TENSOR_TYPES = {
    0: "float32",
    1: "float16",
    2: "int32",
    3: "uint8",
    4: "int64",
    6: "bool",
    7: "int16",
    9: "int8",
    10: "float64",
    12: "uint64",
    15: "uint32",
    16: "uint16",
}
#: BuiltinOperator enum of schema.fbs: the operators digit models use.
BUILTIN_OPS = {
    0: "ADD",
    1: "AVERAGE_POOL_2D",
    2: "CONCATENATION",
    3: "CONV_2D",
    4: "DEPTHWISE_CONV_2D",
    6: "DEQUANTIZE",
    9: "FULLY_CONNECTED",
    14: "LOGISTIC",
    17: "MAX_POOL_2D",
    18: "MUL",
    19: "RELU",
    21: "RELU6",
    22: "RESHAPE",
    25: "SOFTMAX",
    28: "TANH",
    34: "PAD",
    39: "TRANSPOSE",
    40: "MEAN",
    41: "SUB",
    42: "DIV",
    43: "SQUEEZE",
    45: "STRIDED_SLICE",
    50: "LOG_SOFTMAX",
    53: "CAST",
    54: "PRELU",
    55: "MAXIMUM",
    57: "MINIMUM",
    70: "EXPAND_DIMS",
    74: "SUM",
    77: "SHAPE",
    83: "PACK",
    98: "LEAKY_RELU",
    111: "ELU",
    114: "QUANTIZE",
    117: "HARD_SWISH",
    126: "BATCH_MATMUL",
    150: "GELU",
}


class _Table:
    """One FlatBuffers table at ``pos`` in ``buf``; fields addressed by their slot number."""

    __slots__ = ("_vsize", "_vtable", "buf", "pos")

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos
        self._vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self._vsize = struct.unpack_from("<H", buf, self._vtable)[0]

    def _offset(self, slot: int) -> int:
        entry = 4 + 2 * slot
        if entry >= self._vsize:
            return 0
        return struct.unpack_from("<H", self.buf, self._vtable + entry)[0]

    def scalar(self, slot: int, fmt: str, default: float | int = 0) -> float | int:
        offset = self._offset(slot)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + offset)[0] if offset else default

    def _indirect(self, slot: int) -> int | None:
        offset = self._offset(slot)
        if not offset:
            return None
        at = self.pos + offset
        return at + struct.unpack_from("<I", self.buf, at)[0]

    def table(self, slot: int) -> _Table | None:
        at = self._indirect(slot)
        return None if at is None else _Table(self.buf, at)

    def string(self, slot: int) -> str | None:
        at = self._indirect(slot)
        if at is None:
            return None
        length = struct.unpack_from("<I", self.buf, at)[0]
        return self.buf[at + 4 : at + 4 + length].decode("utf-8", "replace")

    def _vector(self, slot: int) -> tuple[int, int]:
        at = self._indirect(slot)
        if at is None:
            return 0, 0
        return at + 4, struct.unpack_from("<I", self.buf, at)[0]

    def tables(self, slot: int) -> list[_Table]:
        start, count = self._vector(slot)
        return [
            _Table(self.buf, start + 4 * i + struct.unpack_from("<I", self.buf, start + 4 * i)[0])
            for i in range(count)
        ]

    def strings(self, slot: int) -> list[str]:
        start, count = self._vector(slot)
        out = []
        for i in range(count):
            at = start + 4 * i + struct.unpack_from("<I", self.buf, start + 4 * i)[0]
            length = struct.unpack_from("<I", self.buf, at)[0]
            out.append(self.buf[at + 4 : at + 4 + length].decode("utf-8", "replace"))
        return out

    def scalars(self, slot: int, fmt: str) -> list[float | int]:
        start, count = self._vector(slot)
        return list(struct.unpack_from(f"<{count}{fmt}", self.buf, start)) if count else []

    def raw_bytes(self, slot: int) -> bytes:
        start, count = self._vector(slot)
        return bytes(self.buf[start : start + count])


def root_table(buf: bytes, identifier: bytes | None = None) -> _Table:
    """The root table of a FlatBuffer, checking its 4-byte file identifier if given."""
    if identifier is not None and buf[4:8] != identifier:
        raise ValueError(f"expected file identifier {identifier!r}, got {buf[4:8]!r}")
    return _Table(buf, struct.unpack_from("<I", buf, 0)[0])


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of the file: what ``--describe`` prints."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelFile:
    """The structure of a ``.tflite`` file, read without an interpreter."""

    size_bytes: int
    version: int
    description: str
    tensors: tuple[TensorSpec, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[str, ...]
    """Operator names in execution order (``BUILTIN_<code>`` for ones not in our table)."""
    producers: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    """Tensor index → (operator name, its input tensor indices), for the tensors ops write."""
    metadata: dict[str, bytes] = field(default_factory=dict)
    """The model's ``metadata`` entries: name → buffer content."""
    associated_files: dict[str, bytes] = field(default_factory=dict)
    """Files of the ZIP appended after the FlatBuffer (TFLite metadata's label files)."""

    def output_kind(self) -> str:
        """``probabilities`` when the output comes from SOFTMAX or LOGISTIC, else ``logits``.

        Looks through the QUANTIZE/DEQUANTIZE/RESHAPE ops converters put at the ends.
        """
        if not self.outputs:
            return "probabilities"
        tensor = self.outputs[0]
        for _ in range(8):
            op, inputs = self.producers.get(tensor, ("", ()))
            if op in ("SOFTMAX", "LOGISTIC"):
                return "probabilities"
            if op in ("QUANTIZE", "DEQUANTIZE", "RESHAPE", "CAST", "SQUEEZE") and inputs:
                tensor = inputs[0]
                continue
            return "logits"
        return "logits"


def read_model_file(content: bytes) -> ModelFile:
    """Parse ``content`` (a whole .tflite file); raises :class:`ModelLoadError` if malformed."""
    try:
        return _read(content)
    except (struct.error, IndexError, ValueError) as e:
        raise ModelLoadError(f"cannot read the TFLite structure: {e}") from e


def _read(content: bytes) -> ModelFile:
    model = root_table(content, b"TFL3")
    opcodes = []
    for code in model.tables(1):
        builtin = max(int(code.scalar(0, "b", 0)), int(code.scalar(3, "i", 0)))
        custom = code.string(1)
        opcodes.append(custom or BUILTIN_OPS.get(builtin, f"BUILTIN_{builtin}"))
    subgraphs = model.tables(2)
    if not subgraphs:
        raise ValueError("the model has no subgraph")
    graph = subgraphs[0]
    tensors = tuple(_tensor(t) for t in graph.tables(0))
    operators, producers = [], {}
    for op in graph.tables(3):
        name = opcodes[int(op.scalar(0, "I", 0))]
        operators.append(name)
        inputs = tuple(int(i) for i in op.scalars(1, "i"))
        for out in op.scalars(2, "i"):
            producers[int(out)] = (name, inputs)
    buffers = model.tables(4)
    _check_buffers_fit(buffers, len(content))
    metadata = {}
    for entry in model.tables(6):
        index = int(entry.scalar(1, "I", 0))
        if entry.string(0) is not None and index < len(buffers):
            metadata[entry.string(0) or ""] = buffers[index].raw_bytes(0)
    return ModelFile(
        size_bytes=len(content),
        version=int(model.scalar(0, "I", 0)),
        description=model.string(3) or "",
        tensors=tensors,
        inputs=tuple(int(i) for i in graph.scalars(1, "i")),
        outputs=tuple(int(i) for i in graph.scalars(2, "i")),
        operators=tuple(operators),
        producers=producers,
        metadata=metadata,
        associated_files=_appended_zip(content),
    )


def _check_buffers_fit(buffers: list[_Table], size: int) -> None:
    """Every weight buffer must lie inside the file: a cut file fails here, not in C++.

    Some interpreters (tflite-runtime 2.14 on 32-bit ARM) crash the process on a
    model whose buffers run past the end of the file instead of raising.
    """
    for number, buffer in enumerate(buffers):
        start, length = buffer._vector(0)
        offset, external = int(buffer.scalar(1, "Q", 0)), int(buffer.scalar(2, "Q", 0))
        if offset > 1:  # models over 2 GB keep weights after the FlatBuffer, by offset
            start, length = offset, external
        if start + length > size:
            raise ValueError(
                f"buffer {number} needs bytes up to {start + length}, the file has {size}"
            )


def _tensor(table: _Table) -> TensorSpec:
    quant = table.table(4)
    type_code = int(table.scalar(1, "b", 0))
    return TensorSpec(
        name=table.string(3) or "",
        shape=tuple(int(d) for d in table.scalars(0, "i")),
        dtype=TENSOR_TYPES.get(type_code, f"type{type_code}"),
        scale=tuple(float(s) for s in quant.scalars(2, "f")) if quant else (),
        zero_point=tuple(int(z) for z in quant.scalars(3, "q")) if quant else (),
    )


def _appended_zip(content: bytes) -> dict[str, bytes]:
    """Files of a ZIP archive appended to the model (empty when there is none)."""
    if b"PK\x05\x06" not in content[-65_600:]:
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if info.file_size < 1_000_000
            }
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
