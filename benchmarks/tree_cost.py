"""Per-frame cost of two code trees on the same 640×480 frames, for before/after comparisons.

    python -m benchmarks.tree_cost frames /tmp/frames.npy   # 60 camera frames (seed 7), once;
        # MNIST from DIGITS_DATA_DIR
    git archive 4779bec | tar -x -C /tmp/old                # e.g. round 1's code
    git archive HEAD | tar -x -C /tmp/new
    cd /tmp && for i in 1 2 3; do for t in old new; do
      PYTHONPATH=/tmp/$t python /path/to/benchmarks/tree_cost.py time frames.npy; done; done

``time`` imports ``edge_runtime`` from ``PYTHONPATH`` (run it from outside the repository so
the current folder does not shadow it; any age of the tree works: it uses only
``DigitClassifier.classify`` and ``read_number``) and prints one JSON line: the median
milliseconds per frame of ``classify``, ``read_number`` and a bare invoke of the bundled
model, interleaved call by call, one interpreter thread. Compare trees as ratios within
alternating pairs: this machine is shared and noisy.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def make_frames(out: Path) -> None:
    from benchmarks.synthetic import camera_set
    from trainer.data import load_mnist

    test = load_mnist(os.environ.get("DIGITS_DATA_DIR") or None).test
    frames, _ = camera_set(test.images, test.labels, 60, seed=7)
    np.save(out, np.stack(frames))


def time_tree(frames: np.ndarray, rounds: int = 5) -> dict[str, object]:
    import edge_runtime
    from edge_runtime import DigitClassifier
    from edge_runtime.interpreter import load_interpreter_class

    classifier = DigitClassifier(num_threads=1)
    model = Path(edge_runtime.__file__).parent / "models" / "digits_int8.tflite"
    interpreter_class, _ = load_interpreter_class()
    bare = interpreter_class(model_path=str(model), num_threads=1)
    bare.allocate_tensors()
    detail = bare.get_input_details()[0]
    probe = np.zeros(detail["shape"], detail["dtype"])
    times: dict[str, list[float]] = {"bare": [], "classify": [], "read_number": []}
    for index in range(rounds * len(frames)):
        frame = frames[index % len(frames)]
        started = time.perf_counter()
        bare.set_tensor(detail["index"], probe)
        bare.invoke()
        middle = time.perf_counter()
        classifier.classify(frame)
        after = time.perf_counter()
        classifier.read_number(frame)
        times["bare"].append(middle - started)
        times["classify"].append(after - middle)
        times["read_number"].append(time.perf_counter() - after)
    result: dict[str, object] = {"tree": str(Path(edge_runtime.__file__).parent.parent)}
    result.update({f"{k}_ms": round(float(np.median(v)) * 1000, 3) for k, v in times.items()})
    return result


if __name__ == "__main__":
    command, path = sys.argv[1], Path(sys.argv[2])
    if command == "frames":
        make_frames(path)
    else:
        print(json.dumps(time_tree(np.load(path))))
