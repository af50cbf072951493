"""What the load-time probe costs, beside loading a model with its contract pinned.

    python -m benchmarks.probe_cost [MODEL ...] [--rounds 7] [--json]

For each model (default: the bundled one, the largest we ship): the median time to
load it with the contract pinned (no probe), and the median time the probe adds —
every candidate convention on the reference digits (100, then all 1,000 for
close calls), plus the first single-image
call after it (the interpreter is resized back to batch 1). Same process, interleaved.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from statistics import median
from typing import Any

import click
import numpy as np

from edge_runtime.classifier import bundled_model_path
from edge_runtime.clikit import command, int_option, json_option
from edge_runtime.interpreter import TFLiteModel
from edge_runtime.metadata import ModelMetadata
from edge_runtime.probe import ContractOptions, candidates, choose_contract, reference_digits


def probe_cost(path: Path, rounds: int) -> dict[str, Any]:
    """Median load time (pinned) and median probe time of ``path``, in milliseconds."""
    content = path.read_bytes()
    pinned = ContractOptions(input_range=(0, 255), invert=False)
    image = reference_digits()[0][0]
    loads, probes = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        model = TFLiteModel(content, options=pinned)
        loads.append(time.perf_counter() - started)
        base = model.contract
        started = time.perf_counter()
        chosen = choose_contract(base, ModelMetadata(), ContractOptions(), model.predict_with)
        model.use_contract(chosen)
        model.predict_one(image)
        probes.append(time.perf_counter() - started)
    return {
        "model": str(path),
        "size_bytes": len(content),
        "load_pinned_ms": round(median(loads) * 1000, 2),
        "probe_ms": round(median(probes) * 1000, 2),
        "candidates": len(candidates(base, None, None)),
        "reference_digits": len(reference_digits()[1]),
        "chosen": chosen.summary(),
    }


@command()
@click.argument("models", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@int_option("--rounds", 7, "Timed rounds per model (the median is reported).", min=1)
@json_option()
def main(models: tuple[Path, ...], rounds: int, as_json: bool) -> None:
    """Measure the probe's cost at load for MODELS (default: the bundled model)."""
    np.seterr(all="ignore")
    results = [probe_cost(path, rounds) for path in models or (bundled_model_path(),)]
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    for r in results:
        click.echo(
            f"{r['model']} ({r['size_bytes'] / 1024:.0f} KB): load {r['load_pinned_ms']} ms "
            f"pinned; probe +{r['probe_ms']} ms ({r['candidates']} conventions, up to "
            f"{r['reference_digits']} reference digits) → {r['chosen']}"
        )


if __name__ == "__main__":
    main()
