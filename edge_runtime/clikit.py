"""The ONE module of command-line pieces shared by every digits-edge command.

Every command (``digits-train``, ``digits-convert``, ``digits-bench``,
``digits-classify``, ``digits-bundle``, …) takes its common options, error
handling and progress bars from here and never imports another command's
module. Only click and tqdm (lazily) are imported: no TensorFlow, no numpy.

Commands::

    @command(EPILOG)                      # click.command with -h/--help and an epilog
    @data_dir_option()                    # --data-dir → data_dir: Path | None ($DIGITS_DATA_DIR)
    @out_dir_option(Path("artifacts"))    # --out → out_dir: Path
    @seed_option(DEFAULT_SEED, "Seed for …")
    @threads_option()                     # --threads → threads: int | None
    @json_option()                        # --json → as_json: bool
    @int_option("--runs", 300, "Timed calls.", min=5)   # one line per numeric option
    @float_option("--max-drop", 0.5, "Allowed loss.", min=0)
    @choice_option("--threshold", ["otsu", "adaptive"], "otsu", "How ink is found.")
    @folder_option("--models-dir", "Where models are.", default=Path("artifacts"))
    @file_option("--video", "A video file.")
    @model_input_options()                # --input-range LOW:HIGH, --invert-input

Running::

    with user_errors():                   # DigitsError → "Error: …" (one line), exit 1
        ...
    with ProgressStages(enabled=not as_json, unit="img") as stages:
        run(..., stages.start)            # library reports progress, never prints
    load_mnist(..., progress=download_progress(enabled=not as_json))
    with warnings_as_notes():             # ContractWarning → one "note: …" line on stderr
        classifier = DigitClassifier(model, input_range=input_range, invert=invert)

A default of ``None`` means "not set" (the help shows it in brackets); any
other default is shown with ``show_default``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from edge_runtime.errors import ContractWarning, DigitsError

DATA_DIR_ENVVAR = "DIGITS_DATA_DIR"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

Decorator = Callable[[Any], Any]


# Writing stdout can fail too: redirected to a full disk, or a pipe whose reader has gone.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE}


class DigitsCommand(click.Command):
    """A command whose failures are one line and exit 1, whatever the output path.

    Our own errors (:class:`DigitsError`) become ``Error: …``; a failure to write
    stdout (full disk, closed pipe) is reported once, not as a traceback (and not
    again when Python flushes stdout at exit).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with user_errors():
                result = super().invoke(ctx)
                sys.stdout.flush()  # a full disk shows here, not at interpreter exit
                return result
        except OSError as e:
            if e.errno not in _OUTPUT_ERRNOS:
                raise
            _discard_stdout()
            if e.errno == errno.EPIPE:  # `digits-classify scans/ | head`: the reader is done
                ctx.exit(1)
            raise click.ClickException(f"cannot write the output: {e.strerror}") from e


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the unwritable buffer is not flushed again at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def command(epilog: str | None = None) -> Decorator:
    """``click.command`` with ``-h``/``--help``, the examples epilog and one-line errors."""
    return click.command(cls=DigitsCommand, epilog=epilog, context_settings=CONTEXT_SETTINGS)


def _option(name: str | Sequence[str], default: Any, help: str, **kwargs: Any) -> Decorator:
    decls = (name,) if isinstance(name, str) else tuple(name)
    return click.option(
        *decls, default=default, show_default=default is not None, help=help, **kwargs
    )


def int_option(
    name: str | Sequence[str],
    default: int | None,
    help: str,
    *,
    min: int | None = None,
    max: int | None = None,
    **kwargs: Any,
) -> Decorator:
    """An integer option limited to ``[min, max]``; ``name`` is one flag or (flag, dest)."""
    return _option(name, default, help, type=click.IntRange(min, max), **kwargs)


def float_option(
    name: str | Sequence[str],
    default: float | None,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    **kwargs: Any,
) -> Decorator:
    """A float option limited to ``[min, max]``."""
    return _option(name, default, help, type=click.FloatRange(min, max), **kwargs)


def choice_option(
    name: str | Sequence[str], choices: Sequence[str], default: Any, help: str, **kwargs: Any
) -> Decorator:
    """An option taking one of ``choices`` (``multiple=True`` passes through)."""
    return _option(name, default, help, type=click.Choice(list(choices)), **kwargs)


def folder_option(
    name: str | Sequence[str], help: str, *, default: Path | None = None, **kwargs: Any
) -> Decorator:
    """An option naming a folder (given as a :class:`~pathlib.Path`; need not exist yet)."""
    kind = click.Path(file_okay=False, path_type=Path)
    return _option(name, default, help, type=kind, **kwargs)


def file_option(
    name: str | Sequence[str],
    help: str,
    *,
    default: Path | None = None,
    exists: bool = False,
    **kwargs: Any,
) -> Decorator:
    """An option naming a file (a :class:`~pathlib.Path`; click checks it ``exists`` if asked)."""
    kind = click.Path(dir_okay=False, exists=exists, path_type=Path)
    return _option(name, default, help, type=kind, **kwargs)


def data_dir_option() -> Decorator:
    """``--data-dir`` (also ``$DIGITS_DATA_DIR``) → ``data_dir: Path | None``."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        envvar=DATA_DIR_ENVVAR,
        show_envvar=True,
        help="Folder with the MNIST IDX files or mnist.npz [searched; downloaded if absent].",
    )


def out_dir_option(default: Path | None, help: str = "Output folder.") -> Decorator:
    """``--out`` → ``out_dir: Path`` (``None`` default: the command picks one)."""
    return folder_option(("--out", "out_dir"), help, default=default)


def seed_option(default: int, help: str) -> Decorator:
    """``--seed`` → ``seed: int``."""
    return int_option("--seed", default, help)


def threads_option(help: str = "Interpreter threads [library default].") -> Decorator:
    """``--threads`` → ``threads: int | None``."""
    return int_option("--threads", None, help, min=1)


def json_option(help: str = "Print the result as JSON.") -> Decorator:
    """``--json`` → ``as_json: bool``; commands then print only JSON to stdout."""
    return click.option("--json", "as_json", is_flag=True, help=help)


class InputRange(click.ParamType):
    """``LOW:HIGH`` (e.g. ``0:1``, ``-1:1``, ``0:255``) → ``(low, high)`` floats."""

    name = "LOW:HIGH"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[float, float]:
        if isinstance(value, tuple):
            return value
        try:
            low, high = (float(part) for part in str(value).split(":"))
        except ValueError:
            self.fail(f"expected LOW:HIGH such as 0:1, -1:1 or 0:255, got {value!r}", param, ctx)
        if not high > low:
            self.fail(f"HIGH must be above LOW, got {value!r}", param, ctx)
        return low, high


def model_input_options() -> Decorator:
    """``--input-range`` → ``input_range`` and ``--invert-input/--no-invert-input`` → ``invert``.

    How a model we did not make wants its pixels; unset (None): the model's
    metadata, else a probe at load.
    """

    def decorate(function: Any) -> Any:
        function = click.option(
            "--invert-input/--no-invert-input",
            "invert",
            default=None,
            help="The model expects dark ink on a light background (or pin that it does not) "
            "[metadata, else probed].",
        )(function)
        return click.option(
            "--input-range",
            type=InputRange(),
            help="Real values of pixel 0 and 255 the model was trained on, e.g. 0:1 or -1:1 "
            "[metadata, else probed].",
        )(function)

    return decorate


@contextlib.contextmanager
def warnings_as_notes() -> Iterator[None]:
    """Show each :class:`ContractWarning` raised inside as one ``note: …`` line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ContractWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, ContractWarning):
            click.echo(f"note: {warning.message}", err=True)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


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


def progress_bar(
    total: int | None, description: str, *, enabled: bool = True, unit: str = "it"
) -> Any:
    """A tqdm bar on stderr (disabled when ``enabled`` is False, e.g. for ``--json``)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )


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


class DownloadProgress:
    """A byte progress bar for a download, drawn from the first ``(received, total)`` call."""

    def __init__(self, enabled: bool, description: str = "downloading mnist.npz") -> None:
        self.enabled, self.description = enabled, description
        self.bar: Any = None
        self.seen = 0

    def __call__(self, received: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = progress_bar(total, self.description, enabled=self.enabled, unit="B")
        self.bar.update(received - self.seen)
        self.seen = received
        if total is not None and received >= total:
            self.bar.close()


def download_progress(enabled: bool) -> Callable[[int, int | None], None]:
    """A ``progress(received, total)`` callback drawing a byte bar for the MNIST download."""
    return DownloadProgress(enabled)
