"""Write a benchmark report: terminal table, Markdown, CSV, JSON and a PNG chart (atomically)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path

from benchmarks.run import BenchReport, FormatRow
from edge_runtime.fileio import atomic_open, atomic_path, ensure_output_dir, write_json_atomic

COLUMNS = (
    ("format", "format"),
    ("status", "status"),
    ("size", "size KB"),
    ("load", "load ms"),
    ("accuracy", "accuracy"),
    ("real", "real digits"),
    ("agree", "agree Keras"),
    ("p50", "p50 ms"),
    ("p90", "p90 ms"),
    ("p99", "p99 ms"),
    ("mean", "mean ms"),
    ("std", "std ms"),
    ("tput", "batch img/s"),
    ("rss", "peak MB"),
    ("vs_keras", "× Keras"),
    ("vs_f32", "× f32"),
)


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def row_cells(row: FormatRow) -> dict[str, str]:
    """The table cells of one row as text."""
    latency = row.latency
    status = row.status if row.status == "ok" else f"{row.status}: {row.reason}"
    return {
        "format": row.format,
        "status": status,
        "size": _fmt(row.size_bytes / 1024 if row.size_bytes else None, ".1f"),
        "load": _fmt(row.load_ms, ".0f"),
        "accuracy": _fmt(row.accuracy * 100 if row.accuracy is not None else None, ".2f")
        + ("%" if row.accuracy is not None else ""),
        "real": _fmt(row.real_accuracy * 100 if row.real_accuracy is not None else None, ".1f")
        + ("%" if row.real_accuracy is not None else ""),
        "agree": _fmt(
            row.agreement_with_keras * 100 if row.agreement_with_keras is not None else None, ".2f"
        )
        + ("%" if row.agreement_with_keras is not None else ""),
        "p50": _fmt(latency.p50_ms if latency else None, ".3f"),
        "p90": _fmt(latency.p90_ms if latency else None, ".3f"),
        "p99": _fmt(latency.p99_ms if latency else None, ".3f"),
        "mean": _fmt(latency.mean_ms if latency else None, ".3f"),
        "std": _fmt(latency.std_ms if latency else None, ".3f"),
        "tput": _fmt(row.throughput_per_s, ".0f"),
        "rss": _fmt(row.peak_rss_mb, ".0f"),
        "vs_keras": _fmt(row.speedup_vs_keras_predict, ".1f"),
        "vs_f32": _fmt(row.speedup_vs_tflite_float32, ".2f"),
    }


def markdown_table(report: BenchReport) -> str:
    """The results as a Markdown table (ready to paste into the README)."""
    header = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = (
        "|" + "|".join("---" if key in ("format", "status") else "---:" for key, _ in COLUMNS) + "|"
    )
    lines = [header, rule]
    for row in report.rows:
        cells = row_cells(row)
        lines.append("| " + " | ".join(cells[key] for key, _ in COLUMNS) + " |")
    machine = report.machine
    lines.append("")
    lines.append(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}, Python "
        f"{machine['python']}. Accuracy on: "
        + "; ".join(sorted({f"{r.accuracy_on}" for r in report.rows if r.accuracy_on}))
        + (
            "; real digits: DigitClassifier.read_number on the photos of the real development"
            " set, 1 − edit distance / digits written"
            if any(r.real_digits for r in report.rows)
            else ""
        )
    )
    return "\n".join(lines) + "\n"


def text_table(report: BenchReport) -> str:
    """The results as an aligned plain-text table for the terminal."""
    cells = [row_cells(row) for row in report.rows]
    keys = [key for key, _ in COLUMNS if key != "status"]
    titles = dict(COLUMNS)
    widths = {k: max(len(titles[k]), *(len(c[k]) for c in cells)) for k in keys}
    lines = [
        "  ".join(
            titles[k].rjust(widths[k]) if k != "format" else titles[k].ljust(widths[k])
            for k in keys
        )
    ]
    for cell in cells:
        line = "  ".join(
            cell[k].rjust(widths[k]) if k != "format" else cell[k].ljust(widths[k]) for k in keys
        )
        if cell["status"] != "ok":
            line = f"{cell['format'].ljust(widths['format'])}  {cell['status']}"
        lines.append(line)
    return "\n".join(lines)


def csv_text(report: BenchReport) -> str:
    """One CSV line per format with every numeric field."""
    buffer = io.StringIO()
    fields = [
        "format",
        "description",
        "status",
        "reason",
        "file",
        "size_bytes",
        "load_ms",
        "accuracy",
        "accuracy_on",
        "real_accuracy",
        "real_digits",
        "agreement_with_keras",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "mean_ms",
        "std_ms",
        "runs",
        "throughput_per_s",
        "peak_rss_mb",
        "speedup_vs_keras_predict",
        "speedup_vs_tflite_float32",
    ]
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in report.rows:
        flat = asdict(row)
        latency = flat.pop("latency") or {}
        writer.writerow({**{k: v for k, v in flat.items() if k in fields}, **latency})
    return buffer.getvalue()


def write_chart(report: BenchReport, path: Path) -> Path | None:
    """Latency (p50 with p90 whiskers, log scale) and accuracy per format, side by side."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = [r for r in report.rows if r.latency is not None]
    if not rows:
        return None
    names = [r.format for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 0.5 * len(rows) + 2.2))
    p50 = [r.latency.p50_ms for r in rows if r.latency]
    p90 = [r.latency.p90_ms for r in rows if r.latency]
    left.barh(
        names,
        p50,
        color="#4c72b0",
        xerr=[[0] * len(rows), [b - a for a, b in zip(p50, p90, strict=True)]],
    )
    left.set_xscale("log")
    left.set_xlabel("single-image latency, ms (p50, whisker to p90; log scale)")
    left.invert_yaxis()
    accuracies = [(r.accuracy or 0) * 100 for r in rows]
    colours = [
        "#dd8452" if r.accuracy_on and r.accuracy_on.startswith("camera") else "#55a868"
        for r in rows
    ]
    right.barh(names, accuracies, color=colours)
    low = min(accuracies) if accuracies else 0
    right.set_xlim(max(0.0, low - 2), 100)
    right.set_xlabel("accuracy % (green: MNIST test, orange: camera pages)")
    right.invert_yaxis()
    right.set_yticklabels([])
    for y, value in enumerate(accuracies):
        right.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    figure.suptitle(f"digits-bench on {report.machine['cpu']} ({report.machine['cores']} cores)")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, format="png")
    plt.close(figure)
    return path


def write_report(report: BenchReport, out_dir: Path) -> list[Path]:
    """Write bench.json, bench.csv, bench.md and bench.png into ``out_dir``."""
    ensure_output_dir(out_dir)
    written = [write_json_atomic(out_dir / "bench.json", asdict(report))]
    for name, text in (("bench.csv", csv_text(report)), ("bench.md", markdown_table(report))):
        with atomic_open(out_dir / name, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        written.append(out_dir / name)
    chart = write_chart(report, out_dir / "bench.png")
    if chart is not None:
        written.append(chart)
    return written
