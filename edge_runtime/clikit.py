"""Small helpers shared by every digits-edge command line (click only, nothing heavy)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import click

from edge_runtime.errors import DigitsError


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn our own errors into click's one-line ``Error: …`` and exit status 1.

    Anything that is not a :class:`DigitsError` is a bug and keeps its traceback.
    """
    try:
        yield
    except DigitsError as e:
        raise click.ClickException(str(e)) from e
    except KeyboardInterrupt as e:
        raise click.ClickException("interrupted") from e


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter before it is first imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class ProgressStages:
    """One progress bar per stage of a long job, each closed when the next starts.

    Library code takes ``stages.start`` as a callback: ``start(description,
    total)`` returns ``update(n=1)`` for that stage. Use as a context manager so
    the last bar is closed even when the job fails.
    """

    def __init__(self, *, enabled: bool, unit: str) -> None:
        self.enabled, self.unit = enabled, unit
        self._bar: Any = None

    def start(self, description: str, total: int) -> Callable[..., object]:
        self.close()
        self._bar = progress_bar(total, description, enabled=self.enabled, unit=self.unit)
        return self._bar.update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressStages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(
    total: int | None, description: str, *, enabled: bool = True, unit: str = "it"
) -> Any:
    """A tqdm bar on stderr (disabled when ``enabled`` is False or output is JSON)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )
