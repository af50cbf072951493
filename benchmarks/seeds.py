"""The seeds' experiments side by side: what each reference project claims, what we measure.

``python -m benchmarks.seeds`` trains every ``seed-*`` preset that has no
``metrics.json`` yet under ``--out`` (one ``digits-train`` run each, in a child
process, so the command is exactly what the table prints) and writes
``seeds.md`` and ``seeds.json`` beside them. ``--no-train`` only tabulates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from edge_runtime.clikit import command, folder_option
from edge_runtime.fileio import atomic_open, write_json_atomic
from trainer.models import PRESETS


@dataclass(frozen=True)
class SeedClaim:
    """One seed experiment: which preset reproduces it and the accuracy the seed reports."""

    preset: str
    seed: str
    claimed: str


SEED_CLAIMS: tuple[SeedClaim, ...] = (
    SeedClaim("seed-sigmoid", "sigmoid baseline", "92%"),
    SeedClaim("seed-relu-100", "ReLU hidden layer", "97%"),
    SeedClaim("seed-128-64", "two hidden layers", "98%"),
    SeedClaim("seed-256-128-32", "three hidden layers, 50 epochs", "98.15%"),
    SeedClaim("seed-100-raw", "scaling ablation: no scaling", "88%"),
    SeedClaim("seed-100-unit", "scaling ablation: ÷255", "94%"),
    SeedClaim("seed-100-std", "scaling ablation: standardised", "98%"),
)


@dataclass(frozen=True)
class SeedRow:
    """One line of the seeds table."""

    seed: str
    preset: str
    architecture: str
    recipe: str
    claimed: str
    measured: float | None
    train_seconds: float | None
    command: str


def command_for(preset: str, out: Path) -> list[str]:
    """The ``digits-train`` command that reproduces one seed."""
    return ["digits-train", "--preset", preset, "--out", str(out / preset), "--json"]


def recipe_text(preset: str) -> str:
    """The training recipe of a preset in a few words."""
    spec = PRESETS[preset]
    scaling = {"unit": "÷255", "none": "raw 0-255", "standard": "standardised"}[spec.input_scaling]
    schedule = "constant" if spec.lr_schedule == "constant" else "cosine"
    return (
        f"{scaling}, Adam {spec.learning_rate:g} {schedule}, batch {spec.batch_size}, "
        f"{spec.epochs} epochs, {spec.validation_split:.0%} validation"
    )


def architecture_text(preset: str) -> str:
    """``784-100-10 ReLU, sigmoid out`` style description of a preset."""
    spec = PRESETS[preset]
    layers = "-".join(str(n) for n in (784, *spec.hidden, 10))
    hidden = f" {spec.activation}" if spec.hidden else ""
    return f"{layers}{hidden}, {spec.output_activation} out"


def collect(out: Path) -> list[SeedRow]:
    """Rows of the table from each preset's ``metrics.json`` under ``out`` (missing: None)."""
    rows = []
    for claim in SEED_CLAIMS:
        metrics_path = out / claim.preset / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
        rows.append(
            SeedRow(
                seed=claim.seed,
                preset=claim.preset,
                architecture=architecture_text(claim.preset),
                recipe=recipe_text(claim.preset),
                claimed=claim.claimed,
                measured=metrics.get("test_accuracy"),
                train_seconds=metrics.get("train_seconds"),
                command=" ".join(command_for(claim.preset, out)[:3]),
            )
        )
    return rows


def markdown(rows: list[SeedRow]) -> str:
    """The seeds table in Markdown."""
    lines = [
        "| seed | preset | architecture | recipe | claimed | measured | training time | command |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        measured = "not run" if row.measured is None else f"{row.measured:.2%}"
        seconds = "-" if row.train_seconds is None else f"{row.train_seconds:.0f} s"
        lines.append(
            f"| {row.seed} | `{row.preset}` | {row.architecture} | {row.recipe} | {row.claimed} "
            f"| {measured} | {seconds} | `{row.command}` |"
        )
    return "\n".join(lines) + "\n"


EPILOG = """\b
Examples:
  python -m benchmarks.seeds                 # train what is missing, then the table
  python -m benchmarks.seeds --no-train      # only the table, from the runs already there
"""


@command(EPILOG)
@folder_option(
    "--out",
    "One folder per seed preset; the table is written here.",
    default=Path("artifacts/seeds"),
)
@click.option("--train/--no-train", default=True, help="Train presets that have no metrics yet.")
def main(out: Path, train: bool) -> None:
    """Reproduce the seeds' experiments and tabulate claimed vs measured accuracy."""
    if train:
        for claim in SEED_CLAIMS:
            if not (out / claim.preset / "metrics.json").is_file():
                click.echo(f"training {claim.preset} ...", err=True)
                done = subprocess.run(command_for(claim.preset, out), check=False)
                if done.returncode != 0:
                    click.echo(f"{claim.preset} failed (exit {done.returncode})", err=True)
    rows = collect(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "seeds.json", [asdict(row) for row in rows])
    table = markdown(rows)
    with atomic_open(out / "seeds.md") as handle:
        handle.write(table)
    click.echo(table)
    sys.exit(0 if all(row.measured is not None for row in rows) else 1)


if __name__ == "__main__":
    main()
