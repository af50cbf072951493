"""digits-classify on files, folders and globs: output lines, JSON, bad files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.synthetic import camera_page, number_page
from edge_runtime.cli import main as classify_cli


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory, mnist) -> tuple[Path, list[int]]:
    folder = tmp_path_factory.mktemp("images")
    labels = []
    for index in range(5):
        cv2.imwrite(
            str(folder / f"digit_{index}.jpg"), camera_page(mnist.test.images[index], index)
        )
        labels.append(int(mnist.test.labels[index]))
    (folder / "notes.txt").write_text("not an image, and not picked up from a folder")
    return folder, labels


def test_folder_gives_one_line_per_image(image_dir) -> None:
    folder, labels = image_dir
    result = CliRunner().invoke(classify_cli, [str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 5
    for line, label in zip(lines, labels, strict=True):
        path, digit, confidence = line.split("  ")
        assert Path(path).name.startswith("digit_") and digit == str(label)
        assert 0.5 <= float(confidence) <= 1.0


def test_globs_and_json_lines(image_dir) -> None:
    folder, labels = image_dir
    result = CliRunner().invoke(classify_cli, [str(folder / "digit_[0-2].jpg"), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [row["digit"] for row in rows] == labels[:3]
    for row in rows:
        assert len(row["probabilities"]) == 10 and abs(sum(row["probabilities"]) - 1) < 1e-3
        assert set(row["box"]) == {"x", "y", "width", "height"}


def test_bad_files_are_reported_and_the_batch_goes_on(image_dir, tmp_path: Path) -> None:
    folder, labels = image_dir
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "text.jpg"
    text.write_text("hello")
    good = folder / "digit_0.jpg"
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(good.read_bytes()[:2000])
    result = CliRunner().invoke(
        classify_cli, [str(empty), str(good), str(text), str(truncated), str(tmp_path / "no.png")]
    )
    assert result.exit_code == 1
    out = result.output
    assert f"{good}  {labels[0]}  " in out
    assert f"{empty}: error: " in out and "empty" in out
    assert f"{text}: error: " in out and f"{truncated}: error: " in out
    assert "does not exist" in out
    assert out.strip().splitlines()[-1] == "Error: 4 of 5 images could not be read"
    assert "Traceback" not in out


def test_json_error_rows(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG garbage")
    result = CliRunner().invoke(classify_cli, [str(bad), "--json"])
    assert result.exit_code == 1
    row = json.loads(result.output.strip().splitlines()[0])
    assert row["path"] == str(bad) and "error" in row


def test_number_mode_and_model_view(tmp_path: Path, mnist) -> None:
    page = number_page([mnist.test.images[i] for i in (1, 2, 3)], seed=4)
    path = tmp_path / "number.jpg"
    cv2.imwrite(str(path), page)
    debug = tmp_path / "debug"
    result = CliRunner().invoke(classify_cli, [str(path), "--number", "--save-debug", str(debug)])
    assert result.exit_code == 0, result.output
    expected = "".join(str(mnist.test.labels[i]) for i in (1, 2, 3))
    assert result.output.split("  ")[1] == expected
    picture = cv2.imread(str(debug / "number_model_view.png"))
    assert picture is not None and picture.shape[1] > picture.shape[0]


def test_blank_image_says_no_digit_and_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    cv2.imwrite(str(path), np.full((80, 80), 255, np.uint8))
    result = CliRunner().invoke(classify_cli, [str(path)])
    assert result.exit_code == 0
    assert "  -  0.00  no digit" in result.output


def test_usage_errors() -> None:
    runner = CliRunner()
    nothing = runner.invoke(classify_cli, [])
    assert nothing.exit_code == 2 and "give image files" in nothing.output
    both = runner.invoke(classify_cli, ["a.png", "--camera", "0"])
    assert both.exit_code == 2
    help_text = runner.invoke(classify_cli, ["--help"]).output
    assert "Examples:" in help_text and "--camera" in help_text


def test_custom_model_option(tmp_path: Path, image_dir) -> None:
    folder, _ = image_dir
    bad_model = tmp_path / "m.tflite"
    bad_model.write_bytes(b"nope")
    result = CliRunner().invoke(classify_cli, [str(folder), "--model", str(bad_model)])
    assert result.exit_code == 1 and "is not a TFLite model" in result.output
