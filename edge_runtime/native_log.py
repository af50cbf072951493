"""Keep native (C++) library chatter off the user's terminal.

TensorFlow, LiteRT and XNNPACK log straight to file descriptor 2 ("Created
TensorFlow Lite XNNPACK delegate", oneDNN notices, absl warnings), bypassing
Python. :func:`captured_native_stderr` sends that to a temporary file for the
duration of a block; callers include its tail in an error message when the
block fails, so nothing useful is lost. Standard library only.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def captured_native_stderr(*, python_stdout: bool = False) -> Iterator[list[str]]:
    """Redirect fd 2 (and optionally Python's stdout) for the block; yield the captured lines.

    The list is filled when the block ends (also on error). Where there is no
    real file descriptor 2 (some embedded interpreters), nothing is captured.
    """
    lines: list[str] = []
    stdout_sink = io.StringIO()
    redirect = (
        contextlib.redirect_stdout(stdout_sink) if python_stdout else contextlib.nullcontext()
    )
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        with redirect:
            yield lines
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            with redirect:
                yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())
            lines.extend(stdout_sink.getvalue().splitlines())
