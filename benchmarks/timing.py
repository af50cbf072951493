"""Latency statistics and round-robin timing (drift on a noisy machine hits every format alike)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LatencyStats:
    """Single-call latency in milliseconds over ``runs`` timed calls."""

    runs: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    std_ms: float

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float]) -> LatencyStats:
        values = np.asarray(samples_ms, dtype=np.float64)
        p50, p90, p99 = np.percentile(values, (50, 90, 99))
        return cls(
            runs=len(values),
            p50_ms=round(float(p50), 5),
            p90_ms=round(float(p90), 5),
            p99_ms=round(float(p99), 5),
            mean_ms=round(float(values.mean()), 5),
            std_ms=round(float(values.std()), 5),
        )


def round_robin(
    calls: dict[str, Callable[[Any], Any]],
    inputs: Mapping[str, Sequence[Any]],
    *,
    runs: int,
    warmup: int,
    on_round: Callable[[], object] | None = None,
) -> dict[str, list[float]]:
    """Time one call of every format per round, rotating which goes first; ms per call.

    ``inputs[name]`` is cycled so each format sees the same sequence of images.
    """
    names = list(calls)
    for name in names:
        for index in range(warmup):
            calls[name](inputs[name][index % len(inputs[name])])
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(runs):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            item = inputs[name][round_index % len(inputs[name])]
            started = time.perf_counter()
            calls[name](item)
            samples[name].append((time.perf_counter() - started) * 1000)
        if on_round is not None:
            on_round()
    return samples


def throughput(call: Callable[[Any], Any], batch: Any, count: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` items per second of ``call(batch)`` holding ``count`` items."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call(batch)
        best = min(best, time.perf_counter() - started)
    return count / best if best > 0 else float("inf")
