"""The package layering the brief fixes: ``edge_runtime`` lives without TensorFlow.

A Raspberry Pi installs ``edge_runtime`` without TensorFlow, so every module
under it must import (and the runtime's main path must run) in an interpreter
where ``import tensorflow`` fails. The check runs in a fresh subprocess with a
meta-path finder that refuses TensorFlow and Keras, and walks every submodule
with :mod:`pkgutil`, so a module nobody imports on the main path is covered too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_BLOCKED = ("tensorflow", "tensorflow_cpu", "keras", "tf_keras", "tensorboard")

_WALK = """
import importlib, json, pkgutil, sys

BLOCKED = {blocked!r}
attempts = []

class NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)")
        return None

sys.meta_path.insert(0, NoTensorFlow())
import edge_runtime

failed = {{}}
def onerror(name):
    failed[name] = repr(sys.exc_info()[1])

names = ["edge_runtime"]
for info in pkgutil.walk_packages(edge_runtime.__path__, "edge_runtime.", onerror=onerror):
    names.append(info.name)
    try:
        importlib.import_module(info.name)
    except BaseException as e:
        failed[info.name] = repr(e)
{extra}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
upper = sorted(m for m in sys.modules if m.split(".")[0] in ("trainer", "converter", "benchmarks"))
print(json.dumps({{"modules": names, "failed": failed, "attempts": attempts, "loaded": loaded,
                  "upper": upper}}))
"""


def _run(extra: str = "") -> dict:
    script = _WALK.format(blocked=_BLOCKED, extra=extra)
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_every_edge_runtime_module_imports_with_tensorflow_unimportable() -> None:
    result = _run()
    on_disk = {
        "edge_runtime." + p.stem
        for p in (REPO / "edge_runtime").glob("*.py")
        if p.stem != "__init__"
    }
    assert on_disk <= set(result["modules"]), "pkgutil must walk every module on disk"
    assert result["failed"] == {}
    assert result["attempts"] == [], "edge_runtime tried to import TensorFlow/Keras"
    assert result["loaded"] == []
    assert result["upper"] == [], "edge_runtime imports nothing from the other packages"


def test_runtime_main_path_runs_with_tensorflow_unimportable() -> None:
    pytest.importorskip("cv2", reason="needs the 'edge' extra (OpenCV)")
    extra = """
import numpy as np
from edge_runtime import DigitClassifier
page = np.full((120, 120), 255, np.uint8)
page[30:90, 56:64] = 0  # a thick vertical stroke: a "1"
prediction = DigitClassifier().classify(page)
assert 0 <= prediction.digit <= 9, prediction
"""
    result = _run(extra)
    assert result["failed"] == {}
    assert result["attempts"] == [] and result["loaded"] == []
