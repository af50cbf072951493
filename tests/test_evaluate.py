"""digits-classify --eval: labelled folders and CSVs, per-image rows, summary, failures sheet."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.synthetic import hard_page
from edge_runtime.cli import main as classify_cli
from edge_runtime.errors import ImageError
from edge_runtime.evaluate import EvalReport, ImageResult, label_from_name, labelled_images


@pytest.fixture(scope="module")
def labelled_dir(tmp_path_factory, mnist) -> Path:
    folder = tmp_path_factory.mktemp("labelled")
    rng = np.random.default_rng(3)
    for index in range(6):
        picked = rng.integers(0, len(mnist.test), int(rng.integers(1, 4)))
        text = "".join(str(int(mnist.test.labels[i])) for i in picked)
        page = hard_page([mnist.test.images[i] for i in picked], seed=index, cases=())
        cv2.imwrite(str(folder / f"{text}_page{index}.jpg"), page)
    blank = np.full((120, 160, 3), 235, np.uint8)  # labelled 42 but holds nothing: a failure
    cv2.imwrite(str(folder / "42_blank.png"), blank)
    (folder / "7_truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "readme.txt").write_text("no label, not an image")
    return folder


def test_eval_folder_json(labelled_dir, tmp_path) -> None:
    sheet = tmp_path / "misses.png"
    result = CliRunner().invoke(
        classify_cli, ["--eval", str(labelled_dir), "--json", "--failures", str(sheet)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    summary, rows = payload["summary"], payload["results"]
    assert summary["images"] == len(rows) == 8
    by_name = {row["name"]: row for row in rows}
    assert by_name["42_blank.png"]["read"] is None and not by_name["42_blank.png"]["correct"]
    assert by_name["7_truncated.jpg"]["error"] and summary["unreadable"] == 1
    pages = [row for name, row in by_name.items() if "_page" in name]
    assert sum(row["correct"] for row in pages) >= 5  # plain pages are read
    assert summary["numbers_exact"] == pytest.approx(sum(r["correct"] for r in rows) / 8)
    assert payload["failures_sheet"] == str(sheet)
    picture = cv2.imread(str(sheet))
    assert picture is not None and picture.shape[1] >= 640


def test_eval_text_and_csv(labelled_dir, tmp_path) -> None:
    names = sorted(p.name for p in labelled_dir.iterdir() if "_page" in p.name)
    csv_path = labelled_dir / "labels.csv"
    csv_path.write_text("file,label\n" + "".join(f"{n},{n.split('_')[0]}\n" for n in names))
    result = CliRunner().invoke(
        classify_cli, ["--eval", str(csv_path), "--failures", str(tmp_path / "f.png")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("expected") == len(names)
    assert "numbers exact" in result.output and "single digits" in result.output
    csv_path.unlink()


def test_labels_from_names_keep_leading_zeros() -> None:
    assert label_from_name(Path("0869_note.jpg")) == "0869"
    assert label_from_name(Path("2026.png")) == "2026"
    assert label_from_name(Path("note_2026.png")) is None


def test_unlabelled_folder_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"x")
    with pytest.raises(ImageError, match="no labelled images"):
        labelled_images(tmp_path)


def test_summary_counts_digits_by_edit_distance() -> None:
    report = EvalReport(
        (
            ImageResult("a", "2026", "2026", 0.9),
            ImageResult("b", "123", "1234", 0.8),  # one digit too many
            ImageResult("c", "7", "1", 0.7),
            ImageResult("d", "5", None, 0.0, "corrupt"),
        )
    )
    summary = report.summary()
    assert summary["numbers_exact"] == 0.25 and summary["multi_digit_exact"] == 0.5
    assert summary["single_digit_exact"] == 0.0 and summary["unreadable"] == 1
    assert summary["digit_accuracy"] == pytest.approx(1 - (0 + 1 + 1 + 1) / 9)
