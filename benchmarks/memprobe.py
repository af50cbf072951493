"""Peak memory of one format, measured in a fresh child process.

Run as ``python -m benchmarks.memprobe FORMAT MODELS_DIR KERAS_PATH [MODEL_FILE]``: loads
the format, runs it on 256 images and prints the process's peak RSS in MB.
A child process is the only honest way to attribute memory to one format.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    On Linux ``VmHWM`` is read because ``ru_maxrss`` survives ``execve`` and
    would report the parent's peak; elsewhere ``ru_maxrss`` (macOS: bytes).
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure(
    format_name: str,
    models_dir: Path,
    keras_path: Path,
    model_file: Path | None = None,
    timeout_s: float = 300,
) -> float | None:
    """Peak RSS (MB) of a child that loads and runs ``format_name`` (or ``model_file``).

    None if it failed.
    """
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.memprobe",
                format_name,
                str(models_dir),
                str(keras_path),
                *([str(model_file)] if model_file is not None else []),
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return None
    if run.returncode != 0:
        return None
    try:
        return float(json.loads(run.stdout.strip().splitlines()[-1])["peak_rss_mb"])
    except (ValueError, KeyError, IndexError):
        return None


def main(argv: list[str]) -> int:
    import numpy as np

    from benchmarks.formats import FORMAT_TABLE, BenchRow, load_runner

    name, models_dir, keras_path, *model_file = argv
    if model_file:
        spec = BenchRow.for_file(Path(model_file[0]))
    else:
        spec = next(s for s in FORMAT_TABLE if s.name == name)
    runner = load_runner(spec, Path(models_dir), Path(keras_path), threads=None, batch_size=256)
    if runner.on_frames:
        frames = np.full((4, 480, 640, 3), 200, np.uint8)
        runner.batch(frames)
    else:
        runner.batch(np.zeros((256, 28, 28), np.uint8))
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
