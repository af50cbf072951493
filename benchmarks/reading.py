"""Reading figures (issue 8): real photos, hard synthetic pages, MNIST, and the cost per frame.

    python -m benchmarks.reading [--real tests/data/real] [--pages 400] [--json]

1. real development set: ``edge_runtime.evaluate`` on a labelled folder (the same code as
   ``digits-classify --eval``): whole numbers exact, single digits exact;
2. hard synthetic pages (``benchmarks.synthetic.hard_set``, seed 2026 — the algorithms were
   tuned on seed 100, so these pages are unseen): numbers exact, singles exact, and each hard
   case alone; beside each, the share of pages whose digits the model reads right in their own
   28×28 MNIST form (the ceiling the model sets: the rest of the gap is the pipeline's);
3. MNIST test through ``DigitClassifier.classify`` (must stay ≥ 99.3% with the bundled model);
4. cost of the full path on 640×480 camera frames (``classify`` and ``read_number``) as a
   ratio to the bare interpreter (set_tensor, invoke, get_tensor), interleaved call by call
   in one run, one interpreter thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from edge_runtime.clikit import command, data_dir_option, int_option, json_option

HELD_OUT_SEED = 2026


def _exact(pairs: list[tuple[str, str]]) -> float | None:
    return round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else None


def synthetic_figures(
    classifier: Any, images, labels, pages: int, mnist_read: np.ndarray | None = None
) -> dict[str, Any]:
    """Exact-match rates on hard pages (random mix of hard cases) and on each case alone.

    With ``mnist_read`` (the model's reading of each test image in its own 28×28 MNIST form),
    ``mnist_form_exact`` is the share of pages whose every digit the model reads right there:
    the most a perfect pipeline could reach with this model (the rest is the model's).
    """
    from benchmarks.synthetic import HARD_CASES, hard_pages

    def rates(cases: tuple[str, ...] | None, count: int, seed: int) -> dict[str, Any]:
        pairs, ceiling = [], []
        for page, text, picked in hard_pages(images, labels, count, seed, cases):
            pairs.append((classifier.read_number(page).text, text))
            if mnist_read is not None:
                ceiling.append(("".join(str(int(mnist_read[i])) for i in picked), text))
        singles = [(read, text) for read, text in pairs if len(text) == 1]
        figures = {"pages": count, "numbers_exact": _exact(pairs), "singles_exact": _exact(singles)}
        if mnist_read is not None:
            figures["mnist_form_exact"] = _exact(ceiling)
        return figures

    figures = {"mixed": rates(None, pages, HELD_OUT_SEED), "plain": rates((), pages // 4, 7)}
    for case in HARD_CASES:
        figures[case] = rates((case,), pages // 4, HELD_OUT_SEED + 1)
    return figures


def frame_cost(classifier: Any, frames: list[np.ndarray], probe: np.ndarray) -> dict[str, Any]:
    """Median per-frame cost of classify / read_number and of the bare interpreter, and ratios."""
    bare, single, number = [], [], []
    for index in range(3 * len(frames)):
        frame = frames[index % len(frames)]
        started = time.perf_counter()
        classifier.model.invoke_raw(probe)
        middle = time.perf_counter()
        classifier.classify(frame)
        after = time.perf_counter()
        classifier.read_number(frame)
        ended = time.perf_counter()
        bare.append(middle - started)
        single.append(after - middle)
        number.append(ended - after)
    bare_ms = float(np.median(bare)) * 1000
    single_ms, number_ms = float(np.median(single)) * 1000, float(np.median(number)) * 1000
    return {
        "frames": len(frames),
        "bare_invoke_ms": round(bare_ms, 4),
        "classify_ms": round(single_ms, 3),
        "read_number_ms": round(number_ms, 3),
        "classify_ratio": round(single_ms / bare_ms, 1),
        "read_number_ratio": round(number_ms / bare_ms, 1),
    }


def reading_figures(data: Any, real: Path | None, pages: int) -> dict[str, Any]:
    from benchmarks.synthetic import camera_set
    from edge_runtime import DigitClassifier
    from edge_runtime.evaluate import evaluate, labelled_images

    classifier = DigitClassifier(num_threads=1)
    figures: dict[str, Any] = {}
    if real is not None:
        figures["real"] = evaluate(classifier, labelled_images(real), sheet=False).summary()
    test = data.test
    predicted = classifier.classify_batch(list(test.images))
    read = np.array([-1 if p.digit is None else p.digit for p in predicted])
    figures["synthetic"] = synthetic_figures(classifier, test.images, test.labels, pages, read)
    figures["mnist_classify_accuracy"] = round(float(np.mean(read == test.labels)), 4)
    frames, _ = camera_set(test.images, test.labels, 60, seed=7)
    figures["frame_cost_640x480"] = frame_cost(classifier, frames, test.images[:1])
    return figures


@command()
@click.option(
    "--real",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Labelled folder of real images (e.g. tests/data/real).",
)
@int_option("--pages", 400, "Hard synthetic pages (a quarter as many per single case).", min=8)
@data_dir_option()
@json_option()
def main(real: Path | None, pages: int, data_dir: Path | None, as_json: bool) -> None:
    """Measure how well and how fast numbers are read (real set, hard pages, MNIST, frames)."""
    from trainer.data import load_mnist

    figures = reading_figures(load_mnist(data_dir), real, pages)
    click.echo(json.dumps(figures, indent=2) if as_json else _text(figures))


def _text(figures: dict[str, Any]) -> str:
    lines = []
    if "real" in figures:
        r = figures["real"]
        lines.append(
            f"real set: numbers exact {r['numbers_exact']:.1%} of {r['images']}, multi-digit "
            f"{r['multi_digit_exact']:.1%} of {r['multi_digit_images']}, single digits "
            f"{r['single_digit_exact']:.1%} of {r['single_digit_images']}"
        )
    for name, rates in figures["synthetic"].items():
        singles, ceiling = rates["singles_exact"], rates.get("mnist_form_exact")
        lines.append(
            f"synthetic {name:<11} numbers exact {rates['numbers_exact']:.1%} of {rates['pages']}"
            + (f", singles {singles:.1%}" if singles is not None else "")
            + (f" (MNIST form: {ceiling:.1%})" if ceiling is not None else "")
        )
    lines.append(
        f"MNIST test via DigitClassifier.classify: {figures['mnist_classify_accuracy']:.2%}"
    )
    cost = figures["frame_cost_640x480"]
    lines.append(
        f"640×480 frame: classify {cost['classify_ms']} ms ({cost['classify_ratio']}× bare), "
        f"read_number {cost['read_number_ms']} ms ({cost['read_number_ratio']}× bare), "
        f"bare invoke {cost['bare_invoke_ms']} ms"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
