"""Every output path of every command, when it cannot be written: one line, exit 1, no half file.

Three ways an output fails, each made real rather than mocked where this machine allows:

- a file where a folder should be (``/etc/passwd/x`` style);
- an unwritable folder: a read-only tmpfs when we are root (root ignores file
  modes), otherwise a folder with mode 0o500;
- a full disk: a 64 KiB tmpfs filled to the last byte (needs root and ``mount``;
  skipped with a reason elsewhere).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from edge_runtime.errors import OutputError
from edge_runtime.fileio import atomic_open, check_output_dir, write_bytes_atomic

REPO = Path(__file__).resolve().parent.parent


def _mount_tmpfs(where: Path, options: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to make a real small or read-only file system")
    where.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")


@contextlib.contextmanager
def _mounted(where: Path, options: str) -> Iterator[Path]:
    _mount_tmpfs(where, options)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB tmpfs with not one byte left."""
    with _mounted(tmp_path / f"full-{uuid.uuid4().hex[:6]}", "size=64k") as where:
        fd = os.open(where / ".fill", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        yield where


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nothing can be written into (even by root)."""
    where = tmp_path / "read-only"
    if os.geteuid() != 0:
        where.mkdir()
        where.chmod(0o500)
        yield where
        where.chmod(0o700)
        return
    with _mounted(where, "size=64k,ro") as mounted:
        yield mounted


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("I am a file\n")
    return path


def _files(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return sorted(p.name for p in directory.rglob("*") if p.name != ".fill" and p.is_file())


def _one_line_exit_1(result) -> str:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return errors[0]


# --- the shared plumbing --------------------------------------------------------------------


def test_a_file_in_the_way_is_one_clear_error(a_file: Path) -> None:
    with pytest.raises(OutputError, match=f"{a_file} is a file, not a folder"):
        write_bytes_atomic(a_file / "sub" / "x.bin", b"data")
    with pytest.raises(OutputError, match=f"{a_file} is a file, not a folder"):
        check_output_dir(a_file / "sub")
    assert a_file.read_text() == "I am a file\n"


def test_read_only_folder_is_one_clear_error_and_nothing_is_created(read_only: Path) -> None:
    with pytest.raises(OutputError, match="read-only|permission denied"):
        check_output_dir(read_only / "new" / "folder")
    with pytest.raises(OutputError, match="cannot write"):
        write_bytes_atomic(read_only / "x.bin", b"data")
    assert _files(read_only) == [] and not (read_only / "new").exists()


def test_full_disk_keeps_the_old_file_and_leaves_no_partial_one(full_disk: Path) -> None:
    target = full_disk / "report.json"
    target.write_text("")  # an existing (empty) file: it must survive unchanged
    with pytest.raises(OutputError, match="disk full"):
        write_bytes_atomic(target, b"x" * 200_000)
    with pytest.raises(OutputError, match="disk full"), atomic_open(target, "w") as handle:
        handle.write("y" * 200_000)
    assert target.read_text() == "" and _files(full_disk) == ["report.json"]


# --- digits-classify ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digit_images(tmp_path_factory) -> list[Path]:
    cv2 = pytest.importorskip("cv2", reason="needs the 'edge' extra (OpenCV)")
    folder = tmp_path_factory.mktemp("digits")
    paths = []
    for index, text in enumerate(["47", "3", "1290"]):
        canvas = np.full((200, 320), 255, np.uint8)
        cv2.putText(canvas, text, (20, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 0, 12)
        paths.append(folder / f"page{index}.png")
        cv2.imwrite(str(paths[-1]), canvas)
    return paths


def _classify(args: list[str]):
    from edge_runtime.cli import main as classify_cli

    return CliRunner().invoke(classify_cli, args)


def test_save_debug_under_a_file(digit_images, a_file: Path) -> None:
    result = _classify([str(digit_images[0]), "--save-debug", str(a_file / "x")])
    assert _one_line_exit_1(result) == (
        f"Error: cannot create folder {a_file / 'x'}: {a_file} is a file, not a folder"
    )


def test_save_debug_read_only(digit_images, read_only: Path) -> None:
    result = _classify([str(digit_images[0]), "--save-debug", str(read_only / "dbg")])
    assert "cannot write into" in _one_line_exit_1(result)
    assert _files(read_only) == []


def test_save_debug_disk_full_stops_the_batch_without_half_files(
    digit_images, full_disk: Path
) -> None:
    result = _classify([*map(str, digit_images), "--save-debug", str(full_disk / "dbg")])
    assert "disk full" in _one_line_exit_1(result)
    assert _files(full_disk) == []


def test_video_save_debug_disk_full(tmp_path: Path, digit_images, full_disk: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    video = tmp_path / "clip.avi"
    frame = cv2.cvtColor(cv2.imread(str(digit_images[0])), cv2.COLOR_BGR2RGB)
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, frame.shape[1::-1])
    for _ in range(4):
        writer.write(frame)
    writer.release()
    result = _classify(["--video", str(video), "--headless", "--save-debug", str(full_disk)])
    assert "disk full" in _one_line_exit_1(result)
    assert _files(full_disk) == []


def test_eval_failures_sheet_under_a_file(tmp_path: Path, a_file: Path) -> None:
    """Checked before the model loads or the folder is read."""
    sheet = a_file / "misses.png"
    result = _classify(["--eval", str(tmp_path), "--failures", str(sheet)])
    assert _one_line_exit_1(result) == (
        f"Error: cannot create folder {a_file}: {a_file} is a file, not a folder"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_stdout_on_a_full_disk_is_one_line_not_a_traceback(digit_images) -> None:
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "edge_runtime.cli", str(digit_images[0]), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=REPO,
        )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "Error: cannot write the output: No space left on device"
    ]


def test_a_keras_file_given_as_the_model_says_how_to_convert(digit_images, tmp_path: Path) -> None:
    import zipfile

    model = tmp_path / "model.keras"  # what Keras 3 writes: a zip with config.json inside
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    result = _classify([str(digit_images[0]), "--model", str(model)])
    line = _one_line_exit_1(result)
    assert "is a Keras model, not TFLite" in line and f"digits-convert {model}" in line


# --- the TensorFlow-side commands check their output folder before any long work ------------


def _command(name: str):
    if name == "train":
        from trainer.cli import main
    elif name == "convert":
        from converter.cli import main
    elif name == "bench":
        from benchmarks.cli import main
    else:
        from converter.bundle import main
    return main


@pytest.mark.parametrize("name", ["train", "convert", "bench", "bundle"])
@pytest.mark.parametrize("blocker", ["a_file", "read_only"])
def test_unusable_out_folder_fails_at_once(
    name: str, blocker: str, request, tmp_path: Path
) -> None:
    """No data is found (DIGITS_DATA_DIR unset, downloads off), no TensorFlow is loaded: the
    output folder is checked first, so a user learns in a second, not after training."""
    where = request.getfixturevalue(blocker) / "out"
    model = tmp_path / "model.keras"
    model.write_bytes(b"PK\x03\x04 not really a model")
    args = {"convert": [str(model)], "train": ["--no-download"]}.get(name, [])
    result = CliRunner().invoke(
        _command(name), [*args, "--out", str(where)], env={"DIGITS_DATA_DIR": None}
    )
    line = _one_line_exit_1(result)
    assert str(where) in line and ("is a file" in line or "read-only" in line or "denied" in line)


def test_c_array_on_a_full_disk(full_disk: Path) -> None:
    from converter.c_array import write_c_array

    with pytest.raises(OutputError, match="disk full"):
        write_c_array(b"\x1c\x00\x00\x00TFL3" + bytes(200_000), full_disk, "digits_int8")
    assert _files(full_disk) == []


def test_bench_report_on_a_full_disk(full_disk: Path) -> None:
    from benchmarks.report import write_report
    from benchmarks.run import BenchReport

    report = BenchReport(machine={"cpu": "test", "cores": 2}, options={}, rows=[])
    with pytest.raises(OutputError, match="disk full"):
        write_report(report, full_disk / "bench")
    assert _files(full_disk) == []


# --- disk full in the middle of the TensorFlow-side commands (slow tier: TF + MNIST) --------


@pytest.mark.tf
def test_train_on_a_full_disk(mnist, full_disk: Path) -> None:
    from trainer.cli import main as train_cli

    args = ["--preset", "base", "--limit", "200", "--epochs", "1", "--quiet"]
    result = CliRunner().invoke(
        train_cli, [*args, "--out", str(full_disk / "run")], env={"DIGITS_DATA_DIR": mnist.source}
    )
    assert "disk full" in _one_line_exit_1(result)
    assert _files(full_disk) == []


@pytest.mark.tf
def test_convert_on_a_full_disk(mnist, small_model, full_disk: Path) -> None:
    from converter.cli import main as convert_cli

    result = CliRunner().invoke(
        convert_cli,
        [str(small_model), "-q", "float32", "--out", str(full_disk)],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert "disk full" in _one_line_exit_1(result)
    assert _files(full_disk) == []


@pytest.mark.tf
def test_bundle_on_a_full_disk(mnist, small_model, full_disk: Path, tmp_path: Path) -> None:
    from converter.bundle import main as bundle_cli

    result = CliRunner().invoke(
        bundle_cli,
        ["--model", str(small_model), "--out", str(full_disk), "--work-dir", str(tmp_path / "w")],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert "disk full" in _one_line_exit_1(result)
    assert _files(full_disk) == []


@pytest.mark.tf
def test_a_real_keras_model_given_to_the_runtime_says_how_to_convert(small_model) -> None:
    from edge_runtime.errors import ModelLoadError
    from edge_runtime.interpreter import TFLiteModel

    with pytest.raises(ModelLoadError, match=f"digits-convert {small_model}"):
        TFLiteModel(small_model)
    renamed = small_model.parent / "model.bin"  # the zip's content gives it away, not the name
    shutil.copy(small_model, renamed)
    with pytest.raises(ModelLoadError, match="is a Keras model, not TFLite"):
        TFLiteModel(renamed)
