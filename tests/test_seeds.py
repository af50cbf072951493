"""The seeds table: every seed claim has a preset, and the table reports what was measured."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from benchmarks.seeds import SEED_CLAIMS, collect, main, markdown, recipe_text
from trainer.models import PRESETS


def test_every_seed_claim_has_a_preset_with_its_recipe() -> None:
    assert {claim.preset for claim in SEED_CLAIMS} <= set(PRESETS)
    deep = PRESETS["seed-256-128-32"]
    assert deep.hidden == (256, 128, 32) and deep.epochs == 50 and deep.validation_split == 0.2
    assert "20% validation" in recipe_text("seed-256-128-32")
    scalings = [PRESETS[f"seed-100-{kind}"].input_scaling for kind in ("raw", "unit", "std")]
    assert scalings == ["none", "unit", "standard"]


def test_table_reports_measured_runs_and_marks_missing_ones(tmp_path: Path) -> None:
    run = tmp_path / "seed-sigmoid"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"test_accuracy": 0.9261, "train_seconds": 28.4}))
    rows = collect(tmp_path)
    assert [row.preset for row in rows] == [claim.preset for claim in SEED_CLAIMS]
    table = markdown(rows)
    assert "| 92% | 92.61% | 28 s |" in table
    assert table.count("not run") == len(SEED_CLAIMS) - 1


def test_cli_without_training_writes_the_table_and_fails_when_runs_are_missing(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(main, ["--out", str(tmp_path), "--no-train"])
    assert result.exit_code == 1
    assert (tmp_path / "seeds.md").read_text().count("not run") == len(SEED_CLAIMS)
    assert len(json.loads((tmp_path / "seeds.json").read_text())) == len(SEED_CLAIMS)
