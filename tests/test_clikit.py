"""The shared command-line kit: options every command takes, errors, progress."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
from click.testing import CliRunner

from edge_runtime import clikit
from edge_runtime.errors import DigitsError

REPO = Path(__file__).resolve().parent.parent


@clikit.command()
@clikit.data_dir_option()
@clikit.int_option("--runs", 3, "Runs.", min=1)
@clikit.float_option("--drop", None, "Drop.", min=0, max=1)
@clikit.json_option()
def _echo(data_dir: Path | None, runs: int, drop: float | None, as_json: bool) -> None:
    with clikit.user_errors():
        if runs == 13:
            raise DigitsError("unlucky: expected anything but 13, got 13")
    click.echo(json.dumps({"data_dir": str(data_dir), "runs": runs, "drop": drop}))


def test_data_dir_comes_from_the_environment(tmp_path: Path) -> None:
    result = CliRunner().invoke(_echo, [], env={"DIGITS_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["data_dir"] == str(tmp_path)
    # The flag wins over the environment.
    other = tmp_path / "other"
    other.mkdir()
    result = CliRunner().invoke(
        _echo, ["--data-dir", str(other)], env={"DIGITS_DATA_DIR": str(tmp_path)}
    )
    assert json.loads(result.output)["data_dir"] == str(other)


def test_a_missing_data_dir_names_the_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(_echo, [], env={"DIGITS_DATA_DIR": str(tmp_path / "nope")})
    assert result.exit_code == 2
    assert "DIGITS_DATA_DIR" in result.output and "does not exist" in result.output


def test_ranges_and_defaults_are_enforced() -> None:
    unset = {"DIGITS_DATA_DIR": None}
    assert json.loads(CliRunner().invoke(_echo, [], env=unset).output) == {
        "data_dir": "None",
        "runs": 3,
        "drop": None,
    }
    for bad in (["--runs", "0"], ["--drop", "1.5"], ["--runs", "x"]):
        result = CliRunner().invoke(_echo, bad)
        assert result.exit_code == 2 and "Invalid value" in result.output, bad
    assert "[default: 3; x>=1]" in CliRunner().invoke(_echo, ["-h"]).output


def test_our_errors_are_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(_echo, ["--runs", "13"])
    assert result.exit_code == 1
    assert result.output == "Error: unlucky: expected anything but 13, got 13\n"


def test_download_progress_counts_bytes() -> None:
    progress = clikit.DownloadProgress(enabled=False)
    for received in (10, 60, 100):
        progress(received, 100)
    assert progress.seen == 100


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return names


def _command_modules() -> dict[str, Path]:
    """Every module of ours that defines a click command (found, not listed by hand)."""
    found = {}
    for package in ("trainer", "converter", "edge_runtime", "benchmarks"):
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name != "clikit.py" and ("@command(" in text or "click.command(" in text):
                found[".".join(path.relative_to(REPO).with_suffix("").parts)] = path
    return found


def test_every_command_uses_the_kit_and_imports_no_other_command() -> None:
    """Shared options come from edge_runtime.clikit, never from another command's module."""
    commands = _command_modules()
    assert {"trainer.cli", "converter.cli", "benchmarks.cli", "edge_runtime.cli"} <= set(commands)
    for name, path in commands.items():
        assert not (_imports(path) & (set(commands) - {name})), name
        assert "click.command(" not in path.read_text(encoding="utf-8"), f"{name}: use clikit"
    assert _imports(REPO / "edge_runtime" / "clikit.py") <= {
        "__future__", "contextlib", "errno", "os", "sys", "collections.abc", "pathlib", "typing",
        "warnings", "click",
        "tqdm", "edge_runtime.errors",
    }  # fmt: skip
