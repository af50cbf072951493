"""The TensorFlow side's environment, each setting defined once: log level, seed, quiet import.

Everything here belongs to training and conversion; ``edge_runtime`` never
imports this module (a Raspberry Pi runs without TensorFlow). Importing this
module does not import TensorFlow.

- :data:`TF_LOG_LEVEL`: the ``TF_CPP_MIN_LOG_LEVEL`` every command uses ("2":
  errors only; no oneDNN/absl start-up notices).
- :data:`DEFAULT_SEED`: the seed of training, calibration draws and splits.
- :func:`quiet_tensorflow`: set that log level before TensorFlow is first imported.
- :func:`import_tensorflow`: ``import tensorflow`` quietly and return the module.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from edge_runtime.native_log import captured_native_stderr

TF_LOG_LEVEL = "2"
DEFAULT_SEED = 1999


def quiet_tensorflow(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set ``TF_CPP_MIN_LOG_LEVEL`` in ``environ`` (``os.environ`` by default) unless set.

    Returns the mapping, so a child process's environment can be built with it.
    """
    target: Any = os.environ if environ is None else environ
    target.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_LOG_LEVEL)
    return target


def import_tensorflow() -> Any:
    """``import tensorflow`` with its start-up logging silenced (a few seconds, hundreds of MB)."""
    quiet_tensorflow()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with captured_native_stderr():
        import tensorflow

    return tensorflow
