"""The interpreter module: backend fallback, loading errors (contract maths: test_contract)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.classifier import bundled_model_path
from edge_runtime.errors import ModelLoadError, RuntimeBackendError
from edge_runtime.install_hints import backend_hint, this_platform
from edge_runtime.interpreter import BACKENDS, TFLiteModel, load_interpreter_class

# Tests that load a model need an interpreter package (the contract maths: test_contract.py).
needs_backend = pytest.mark.skipif(
    not any(importlib.util.find_spec(name) for name, _ in BACKENDS),
    reason="needs a TFLite interpreter: the 'edge' extra (ai-edge-litert)",
)


@needs_backend
def test_bundled_int8_model_io(tmp_path: Path) -> None:
    model = TFLiteModel(bundled_model_path())
    assert model.input.dtype == np.uint8 and (model.input.scale, model.input.zero_point) == (1, 0)
    assert model.output.dtype == np.uint8
    probabilities = model.predict(np.zeros((3, 28, 28), np.uint8))
    assert probabilities.shape == (3, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@needs_backend
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "too short"),
        (b"hello world, not a model", "expected identifier 'TFL3'"),
        (b"\x1c\x00\x00\x00TFL3" + b"\x00" * 30, "corrupt or truncated"),
    ],
)
def test_bad_model_files_raise_our_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        TFLiteModel(path)


@needs_backend
def test_truncated_real_model_never_crashes_the_process(tmp_path: Path) -> None:
    """Each cut is loaded in a child process: a crash would show as a signal exit code."""
    data = bundled_model_path().read_bytes()
    flatbuffer_end = data.find(b"PK\x03\x04", len(data) - 4096)  # the appended labels ZIP
    assert flatbuffer_end > 0
    cuts = [12, 100, len(data) // 3, len(data) // 2, flatbuffer_end - 64, flatbuffer_end - 1]
    script = (
        "import sys\nfrom edge_runtime.interpreter import TFLiteModel\n"
        "from edge_runtime.errors import ModelLoadError\n"
        "try:\n    TFLiteModel(sys.argv[1])\nexcept ModelLoadError as e:\n"
        "    print('clean:', e)\n    sys.exit(3)\nprint('loaded')\n"
    )
    for cut in cuts:
        path = tmp_path / f"cut_{cut}.tflite"
        path.write_bytes(data[:cut])
        run = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 3, (cut, run.returncode, run.stdout, run.stderr[-500:])
        assert "clean:" in run.stdout
    # A cut inside the appended ZIP leaves a whole model: it loads (labels fall back to 0-9).
    path = tmp_path / "cut_zip.tflite"
    path.write_bytes(data[:-1])
    model = TFLiteModel(path)
    assert model.contract.source == "metadata" and model.file.associated_files == {}


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        TFLiteModel(tmp_path / "none.tflite")
    with pytest.raises(ModelLoadError, match="is a directory"):
        TFLiteModel(tmp_path)


def _fake_backends(monkeypatch, present: set[str]) -> None:
    """Make exactly the backends in ``present`` importable, each with a marker Interpreter."""
    import types

    real_import_module = importlib.import_module

    def import_module(name: str, *args, **kwargs):
        for backend, module_name in BACKENDS:
            if name == module_name:
                if backend not in present:
                    raise ModuleNotFoundError(f"No module named {module_name!r}")
                fake = types.ModuleType(module_name)
                fake.Interpreter = type(f"{backend}_Interpreter", (), {})
                return fake
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", import_module)


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"ai_edge_litert", "tflite_runtime", "tensorflow"}, "ai_edge_litert"),
        ({"tflite_runtime", "tensorflow"}, "tflite_runtime"),
        ({"tensorflow"}, "tensorflow"),
    ],
)
def test_backend_fallback_order(monkeypatch, present: set[str], expected: str) -> None:
    _fake_backends(monkeypatch, present)
    interpreter_class, name = load_interpreter_class()
    assert name == expected and interpreter_class.__name__ == f"{expected}_Interpreter"


def test_no_backend_says_what_to_install(monkeypatch) -> None:
    _fake_backends(monkeypatch, set())
    with pytest.raises(RuntimeBackendError) as caught:
        load_interpreter_class()
    here = this_platform()  # the command differs per platform (tflite-runtime on 32-bit ARM)
    assert str(caught.value) == (
        f"no TFLite interpreter is installed for {here.describe()}: {backend_hint(here)}"
    )


def test_unknown_backend_name() -> None:
    with pytest.raises(RuntimeBackendError, match="unknown backend 'onnx'"):
        load_interpreter_class("onnx")


def test_tflite_runtime_backend_when_installed() -> None:
    pytest.importorskip(
        "tflite_runtime",
        reason="tflite-runtime is not installed (it needs numpy<2 and Python ≤ 3.11)",
    )
    model = TFLiteModel(bundled_model_path(), backend="tflite_runtime")
    assert model.backend == "tflite_runtime"
    assert model.predict(np.zeros((1, 28, 28), np.uint8)).shape == (1, 10)
