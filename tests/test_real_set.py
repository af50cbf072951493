"""Integrity of the real development set in tests/data/real (images + PROVENANCE.csv).

These tests check the set itself, not the product's accuracy on it: every listed file exists and
decodes, the label in each name matches the CSV, provenance is complete, licences are ones that
allow redistribution, and the set stays small. Needs neither TensorFlow nor MNIST.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
from PIL import Image

REAL_DIR = Path(__file__).resolve().parent / "data" / "real"
PROVENANCE = REAL_DIR / "PROVENANCE.csv"
COLUMNS = ["file", "label", "kind", "repo", "commit", "path", "licence", "notes"]
# SPDX identifiers of licences that allow redistributing the images with attribution.
ALLOWED_LICENCES = {
    "MIT",
    "MIT-0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
    "ISC",
    "Unlicense",
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "0BSD",
}
KINDS = {"phone-photo", "scan", "webcam", "screen-drawing", "camera-photo"}
MAX_TOTAL_BYTES = 5 * 1024 * 1024
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def _rows() -> list[dict[str, str]]:
    with PROVENANCE.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = _rows()


def test_set_is_not_empty_and_names_are_unique():
    names = [row["file"] for row in ROWS]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


def test_no_image_is_listed_twice_under_another_name():
    digests = [hashlib.sha256((REAL_DIR / row["file"]).read_bytes()).hexdigest() for row in ROWS]
    assert len(set(digests)) == len(digests)


def test_every_image_in_the_folder_is_listed():
    on_disk = {p.name for p in REAL_DIR.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    listed = {row["file"] for row in ROWS}
    assert on_disk == listed


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_row_is_complete_and_image_decodes(row):
    path = REAL_DIR / row["file"]
    assert path.is_file(), f"{row['file']} listed but missing"
    with Image.open(path) as image:
        image.load()  # decodes every pixel: truncated files fail here
        width, height = image.size
    assert min(width, height) >= 16
    assert max(width, height) <= 1600

    label = row["label"]
    assert re.fullmatch(r"[0-9]+", label), f"label {label!r} is not a digit string"
    assert row["file"].split("_", 1)[0] == label, "label in the file name differs from the CSV"
    assert row["kind"] in KINDS
    assert row["licence"] in ALLOWED_LICENCES
    assert re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", row["repo"])
    assert re.fullmatch(r"[0-9a-f]{40}", row["commit"])
    assert row["path"] and not row["path"].startswith("/")


def test_total_size_stays_small():
    total = sum(p.stat().st_size for p in REAL_DIR.iterdir() if p.is_file())
    assert total < MAX_TOTAL_BYTES, f"real set is {total} bytes"
