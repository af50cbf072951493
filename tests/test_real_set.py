"""Integrity of the real image sets: tests/data/real (development) and tests/data/holdout.

These tests check the sets themselves, not the product's accuracy on them: every listed file
exists and decodes, the label in each name matches the CSV, provenance is complete, licences are
ones that allow redistribution, and each set stays small. The held-out set must stay independent
of the development set: no repository and no image appears in both. Needs neither TensorFlow nor
MNIST.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
from PIL import Image

DATA_DIR = Path(__file__).resolve().parent / "data"
# set name -> (folder, size limit in bytes)
SETS = {
    "real": (DATA_DIR / "real", 5 * 1024 * 1024),
    "holdout": (DATA_DIR / "holdout", int(2.5 * 1024 * 1024)),
}
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
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "PROVENANCE.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = {name: _rows(folder) for name, (folder, _) in SETS.items()}
ALL_ROWS = [(name, row) for name, rows in ROWS.items() for row in rows]


def _digest(name: str, row: dict[str, str]) -> str:
    return hashlib.sha256((SETS[name][0] / row["file"]).read_bytes()).hexdigest()


@pytest.mark.parametrize("name", SETS)
def test_set_is_not_empty_and_names_are_unique(name):
    names = [row["file"] for row in ROWS[name]]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", SETS)
def test_no_image_is_listed_twice_under_another_name(name):
    digests = [_digest(name, row) for row in ROWS[name]]
    assert len(set(digests)) == len(digests)


@pytest.mark.parametrize("name", SETS)
def test_every_image_in_the_folder_is_listed(name):
    folder = SETS[name][0]
    on_disk = {p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    listed = {row["file"] for row in ROWS[name]}
    assert on_disk == listed


@pytest.mark.parametrize(
    ("name", "row"), ALL_ROWS, ids=[f"{name}/{row['file']}" for name, row in ALL_ROWS]
)
def test_row_is_complete_and_image_decodes(name, row):
    path = SETS[name][0] / row["file"]
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


@pytest.mark.parametrize("name", SETS)
def test_total_size_stays_small(name):
    folder, limit = SETS[name]
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    assert total < limit, f"{name} set is {total} bytes"


def test_held_out_set_shares_no_repository_with_the_development_set():
    shared = {row["repo"].lower() for row in ROWS["real"]} & {
        row["repo"].lower() for row in ROWS["holdout"]
    }
    assert not shared, f"held-out images come from development repositories: {sorted(shared)}"


def test_held_out_set_shares_no_image_with_the_development_set():
    real = {_digest("real", row) for row in ROWS["real"]}
    assert not [row["file"] for row in ROWS["holdout"] if _digest("holdout", row) in real]
