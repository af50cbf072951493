"""Shared fixtures (real MNIST via DIGITS_DATA_DIR, small MNIST-format files) and the test tiers.

Tiers (markers registered in pyproject.toml):

- ``slow``: needs TensorFlow or the real MNIST. Given automatically to every test
  that uses the ``mnist`` fixture (directly or through ``small_model``/``converted``)
  and to every test marked ``tf``. ``python -m pytest -m "not slow"`` is the fast
  tier: pure logic, the runtime with its bundled model, CLIs, no TF, no MNIST.
- ``tf``: needs TensorFlow/Keras; also ``slow``, and skipped with a reason when
  the 'train' extra is not installed (instead of a module-level importorskip that
  would also skip the pure tests beside it).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.tfenv import quiet_tensorflow

quiet_tensorflow()

REPO_ROOT = Path(__file__).resolve().parent.parent


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by what they need (see the module docstring) before ``-m`` selects."""
    has_keras = _installed("keras") and _installed("tensorflow")
    for item in items:
        needs_tf = item.get_closest_marker("tf") is not None
        if needs_tf or "mnist" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        if needs_tf and not has_keras:
            item.add_marker(pytest.mark.skip(reason="needs the 'train' extra (TensorFlow, Keras)"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast tier must stay fast: fail it if any of its tests loaded TensorFlow."""
    if session.config.getoption("markexpr", "") != "not slow":
        return
    loaded = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    if loaded and session.testscollected:
        session.config.get_terminal_writer().line(
            f"\nthe fast tier imported {', '.join(loaded)}: mark the test that needs it 'tf'",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def real_mnist_dir() -> Path | None:
    """The folder named by DIGITS_DATA_DIR, made absolute (tests change directory), if it exists."""
    value = os.environ.get("DIGITS_DATA_DIR")
    if value and Path(value).is_dir():
        directory = Path(value).resolve()
        os.environ["DIGITS_DATA_DIR"] = str(directory)
        return directory
    return None


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST dataset, or a skip explaining how to provide it."""
    directory = real_mnist_dir()
    if directory is None:
        pytest.skip("real MNIST not available: set DIGITS_DATA_DIR to a folder with the IDX files")
    from trainer.data import load_from_dir

    return load_from_dir(directory)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0000 08 <ndim>, big-endian dims)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_set(
    directory: Path,
    *,
    train_count: int = 30,
    test_count: int = 10,
    compress: bool = True,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Write a small, valid four-file IDX set; return the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (train_count, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, train_count, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (test_count, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, test_count, dtype=np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        payload = idx_bytes(array)
        if compress:
            (directory / f"{stem}.gz").write_bytes(gzip.compress(payload))
        else:
            (directory / stem).write_bytes(payload)
    return arrays


def write_npz(path: Path, *, train_count: int = 30, test_count: int = 10, seed: int = 0) -> dict:
    """Write a small, valid mnist.npz; return its arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (train_count, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, train_count, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (test_count, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, test_count, dtype=np.uint8),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


@pytest.fixture(scope="session")
def small_model(tmp_path_factory, mnist):
    """A small dense model trained on a 10,000-image slice of real MNIST (3 epochs).

    Shared by the converter, runtime and benchmark tests so the suite trains once.
    """
    pytest.importorskip("keras", reason="needs the 'train' extra (TensorFlow + Keras)")
    from trainer.models import PRESETS
    from trainer.training import TrainOptions, train

    out = tmp_path_factory.mktemp("small_model")
    spec = PRESETS["mlp-100"]
    result = train(
        mnist,
        TrainOptions(spec=spec, out_dir=out, epochs=3, batch_size=32, limit=10000, keras_verbose=0),
    )
    return result.model_path


@pytest.fixture(scope="session")
def converted(tmp_path_factory, mnist, small_model):
    """``small_model`` converted to all four formats (+ C array), with its report."""
    from converter.convert import FORMATS
    from converter.pipeline import ConvertOptions, run_conversion

    out = tmp_path_factory.mktemp("converted")
    report = run_conversion(
        ConvertOptions(
            model_path=small_model,
            out_dir=out,
            formats=tuple(FORMATS),
            calibration_samples=200,
            c_array=True,
        ),
        mnist,
    )
    return out, report
