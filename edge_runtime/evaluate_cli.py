"""The ``digits-classify --eval`` output: per-image lines, the summary and the failures sheet."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from edge_runtime.clikit import progress_bar
from edge_runtime.errors import ImageError
from edge_runtime.evaluate import evaluate, labelled_images


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def run_eval(classifier: Any, location: Path, *, failures: Path, as_json: bool) -> None:
    """Evaluate ``classifier`` on the labelled images at ``location`` and print the report."""
    import cv2

    from edge_runtime.fileio import write_bytes_atomic

    items = labelled_images(location)
    with progress_bar(len(items), "reading", enabled=not as_json, unit="img") as bar:
        report = evaluate(classifier, items, progress=bar.update)
    sheet_path = None
    if report.failures_sheet is not None:
        ok, encoded = cv2.imencode(".png", report.failures_sheet)
        if not ok:
            raise ImageError(f"could not encode the failures sheet for {failures}")
        write_bytes_atomic(failures, encoded.tobytes())
        sheet_path = str(failures)
    summary = report.summary()
    if as_json:
        rows = [{**asdict(r), "correct": r.correct} for r in report.results]
        payload = {"summary": summary, "failures_sheet": sheet_path, "results": rows}
        click.echo(json.dumps(payload, indent=2))
        return
    for row in report.results:
        mark = "ok  " if row.correct else "FAIL"
        read = row.read if row.read is not None else f"- ({row.error or 'no digit'})"
        click.echo(f"{mark} {row.name}  expected {row.expected}  read {read}")
    click.echo(
        f"numbers exact {_percent(summary['numbers_exact'])} of {summary['images']} images; "
        f"multi-digit {_percent(summary['multi_digit_exact'])} of "
        f"{summary['multi_digit_images']}; single digits {_percent(summary['single_digit_exact'])}"
        f" of {summary['single_digit_images']}; digit accuracy "
        f"{_percent(summary['digit_accuracy'])}"
    )
    if sheet_path:
        click.echo(f"failures sheet: {sheet_path}")
