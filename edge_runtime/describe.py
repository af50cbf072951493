"""A model card: everything a loaded model says about itself, as a dict and as text.

Pure formatting over :class:`~edge_runtime.interpreter.TFLiteModel`'s file structure,
metadata and contract; the ``digits-inspect`` command prints it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from edge_runtime.interpreter import TFLiteModel
from edge_runtime.tflite_file import TensorSpec


def model_card(model: TFLiteModel) -> dict[str, Any]:
    """The card of ``model`` as plain data (JSON-ready)."""
    file = model.file
    contract = model.contract
    metadata = model.metadata
    return {
        "model": model.source,
        "size_bytes": file.size_bytes,
        "backend": model.backend,
        "schema_version": file.version,
        "inputs": [_tensor(file.tensors[i]) for i in file.inputs],
        "outputs": [_tensor(file.tensors[i]) for i in file.outputs],
        "operators": dict(Counter(file.operators)),
        "tensors": len(file.tensors),
        "metadata": {
            "kind": metadata.kind,
            "entries": sorted(file.metadata),
            "associated_files": sorted(file.associated_files),
            "name": metadata.name,
            "description": metadata.description,
            "labels": list(metadata.labels) if metadata.labels else None,
            "provenance": metadata.provenance,
            "problems": list(metadata.problems),
        },
        "contract": {
            "summary": contract.summary(),
            "source": contract.source,
            "detail": contract.detail,
            "input_range": list(contract.pixels.bounds),
            "mean_std": list(contract.pixels.mean_std),
            "invert": contract.invert,
            "dtype": contract.dtype,
            "shape": list(contract.shape),
            "output": contract.output,
            "labels": list(contract.labels),
            "pin": contract.pin_hint(),
        },
    }


def _tensor(tensor: TensorSpec) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in asdict(tensor).items()
    }


def format_card(card: dict[str, Any]) -> str:
    """The card as aligned text for a terminal."""
    lines = [
        f"Model      {card['model']}  ({card['size_bytes'] / 1024:.1f} KB, "
        f"TFLite schema v{card['schema_version']}, run by {card['backend']})",
    ]
    for role in ("inputs", "outputs"):
        for tensor in card[role]:
            lines.append(f"{role[:-1].capitalize():<10} {_tensor_line(tensor)}")
    operators = ", ".join(
        f"{name}×{count}" if count > 1 else name for name, count in card["operators"].items()
    )
    lines.append(f"Operators  {operators} ({card['tensors']} tensors)")
    meta = card["metadata"]
    entries = ", ".join(meta["entries"]) or "none"
    lines.append(f"Metadata   {meta['kind']} (entries: {entries})")
    if meta["associated_files"]:
        lines.append(f"           associated files: {', '.join(meta['associated_files'])}")
    if meta["description"]:
        lines.append(f"           {meta['description']}")
    for key, value in (meta["provenance"] or {}).items():
        if value not in (None, {}, []):
            lines.append(f"           {key}: {_short(value)}")
    for problem in meta["problems"]:
        lines.append(f"           problem: {problem}")
    contract = card["contract"]
    lines.append(f"Contract   {contract['summary']}")
    lines.append(f"           from {contract['source']}" + _suffix(contract["detail"]))
    lines.append(f"           labels {' '.join(contract['labels'])}")
    if contract["source"] in ("probe", "default"):
        lines.append(f"           pin it: {contract['pin']}")
    if "mnist_accuracy" in card:
        score = card["mnist_accuracy"]
        lines.append(f"Accuracy   {score['accuracy']:.2%} on {score['images']} MNIST test images")
    return "\n".join(lines)


def _tensor_line(tensor: dict[str, Any]) -> str:
    shape = "[" + ",".join(str(d) for d in tensor["shape"]) + "]"
    quant = ""
    if tensor["scale"]:
        quant = f"  scale {tensor['scale'][0]:.6g} zero point {tensor['zero_point'][0]}"
        if len(tensor["scale"]) > 1:
            quant += f" (per-channel ×{len(tensor['scale'])})"
    return f"{tensor['name']}  {tensor['dtype']} {shape}{quant}"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, list) and len(value) > 10:
        return f"[{len(value)} values]"
    return str(value)


def _suffix(detail: str) -> str:
    return f": {detail}" if detail else ""
