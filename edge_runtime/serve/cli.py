"""``digits-serve``: the page and JSON API on the device (draw, upload, watch the camera)."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from edge_runtime.clikit import (
    command,
    file_option,
    float_option,
    int_option,
    model_input_options,
    threads_option,
    user_errors,
    warnings_as_notes,
)
from edge_runtime.errors import DigitsError

TOKEN_ENV = "DIGITS_SERVE_TOKEN"

EPILOG = """\b
Examples:
  digits-serve                               # http://127.0.0.1:8000/ : draw and upload digits
  digits-serve --camera 0                    # + the live camera view with readings and FPS
  digits-serve --video clip.mp4              # a recorded video stands in for the camera
  digits-serve --host 0.0.0.0 --token s3cret # reachable from the network, token required
  curl --data-binary @digit.png http://127.0.0.1:8000/api/classify
  curl -F image=@note.jpg http://127.0.0.1:8000/api/read-number
  curl -H 'Authorization: Bearer s3cret' http://pi.local:8000/api/latest
"""


class ServerError(DigitsError):
    """The server cannot start (address in use, no permission for the port …)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _keep_stderr_for_python() -> None:
    """Point Python's ``sys.stderr`` at a private copy of file descriptor 2.

    The camera code silences native chatter by swapping fd 2 for a moment
    (:func:`~edge_runtime.native_log.captured_native_stderr`); in a server the
    live thread does that for every frame, and the start-up line or a warning
    written meanwhile by another thread would vanish into its temporary file.
    """
    try:
        if sys.stderr.fileno() != 2:
            return
    except (AttributeError, OSError, ValueError):
        return  # not a real terminal/file (e.g. under click's CliRunner)
    sys.stderr.flush()
    sys.stderr = os.fdopen(os.dup(2), "w", buffering=1, errors="backslashreplace")


@command(EPILOG)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback makes the page reachable from the network.",
)
@int_option("--port", 8000, "TCP port (0: any free port, printed on start).", min=0, max=65535)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    show_envvar=True,
    help="Require 'Authorization: Bearer TOKEN' on every route but /api/health.",
)
@int_option("--camera", None, "Show camera N live (picamera2 on a Pi).", min=0, metavar="N")
@file_option("--video", "Show a recorded video live instead of a camera (it loops).")
@click.option(
    "--model", type=click.Path(path_type=Path), help="A .tflite model [the bundled int8 model]."
)
@model_input_options()
@float_option("--max-upload-mb", 10.0, "Largest request body; bigger ones get 413.", min=0.001)
@float_option(
    "--max-megapixels",
    25.0,
    "Largest image (width × height), checked before decoding; bigger ones get 400.",
    min=0.001,
)
@int_option("--workers", 2, "Requests classified at once (one classifier each).", min=1)
@threads_option("Interpreter threads per classifier.")
@int_option("--every", 1, "Classify every Nth live frame.", min=1)
@int_option("--width", 640, "Camera frame width.", min=16)
@int_option("--height", 480, "Camera frame height.", min=16)
@click.option("--log-requests", is_flag=True, help="Log every request on stderr.")
def main(
    host: str,
    port: int,
    token: str | None,
    camera: int | None,
    video: Path | None,
    model: Path | None,
    input_range: tuple[float, float] | None,
    invert: bool | None,
    max_upload_mb: float,
    max_megapixels: float,
    workers: int,
    threads: int | None,
    every: int,
    width: int,
    height: int,
    log_requests: bool,
) -> None:
    """Serve a page and a JSON API that read handwritten digits.

    The page draws, uploads and (with --camera or --video) shows the live view;
    scripts POST images to /api/classify and /api/read-number and get the same
    JSON as `digits-classify --json`. Listens on 127.0.0.1 unless --host says
    otherwise. Stop with Ctrl-C.
    """
    if camera is not None and video is not None:
        raise click.UsageError("give --camera N or --video FILE, not both")
    _keep_stderr_for_python()
    logging.basicConfig(
        level=logging.INFO if log_requests else logging.WARNING,
        format="digits-serve: %(levelname)s %(message)s",
    )
    with user_errors():
        server = build_server(
            host=host,
            port=port,
            token=token or None,
            camera=camera,
            video=video,
            model=model,
            input_range=input_range,
            invert=invert,
            max_body_bytes=int(max_upload_mb * 1024 * 1024),
            max_pixels=int(max_megapixels * 1_000_000),
            workers=workers,
            threads=threads,
            every=every,
            size=(width, height),
        )
    api = server.api
    click.echo(
        f"digits-serve: serving {server.url} (model {api.model_path.name}, "
        f"{api.pool.first.backend}, {workers} worker{'s' * (workers > 1)}"
        f"{', live ' + server.live.name if server.live else ''})",
        err=True,
    )
    if not is_loopback(host):
        click.echo(
            f"digits-serve: WARNING: listening on {host}, reachable from the network"
            + ("" if token else "; anyone who can connect can use it (set --token)"),
            err=True,
        )
    if token:
        click.echo("digits-serve: token required; in a browser open /?token=<token> once", err=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        click.echo("digits-serve: stopping", err=True)
    finally:
        if server.live is not None:
            server.live.stop()
        server.server_close()


def build_server(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    camera: int | None = None,
    video: Path | None = None,
    model: Path | None = None,
    input_range: tuple[float, float] | None = None,
    invert: bool | None = None,
    max_body_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 25_000_000,
    workers: int = 2,
    threads: int | None = None,
    every: int = 1,
    size: tuple[int, int] = (640, 480),
) -> Any:
    """Load the model, open the live source (failing now if it cannot) and bind the socket."""
    from edge_runtime.camera import open_camera, open_video
    from edge_runtime.classifier import DigitClassifier, bundled_model_path
    from edge_runtime.serve.api import ClassifierPool, DigitsApi
    from edge_runtime.serve.httpd import DigitsServer, ServerLimits
    from edge_runtime.serve.live import FeedOptions, LiveFeed, video_fps

    model_path = bundled_model_path() if model is None else model
    with warnings_as_notes():  # which input convention a probed model gets, one line
        first = DigitClassifier(
            model_path, num_threads=threads, input_range=input_range, invert=invert
        )
    # the others take the first one's contract as given: one probe, one note
    bounds, inverted = first.contract.pixels.bounds, first.contract.invert
    made = [first]

    def factory() -> DigitClassifier:
        if made:
            return made.pop()
        return DigitClassifier(model_path, num_threads=threads, input_range=bounds, invert=inverted)

    pool = ClassifierPool(factory, size=workers)
    api = DigitsApi(pool, max_pixels=max_pixels, model_path=model_path)
    live = None
    if camera is not None or video is not None:
        if video is not None:
            path = str(video)

            def opener() -> Any:
                return open_video(path)

            name, pace = f"video {video.name}", video_fps(path)
        else:
            index = int(camera or 0)

            def opener() -> Any:
                return open_camera(index, width=size[0], height=size[1])

            name, pace = f"camera {index}", None
        with opener() as source:  # fail now, with a clear message, if it cannot be opened
            source.read()
        live = LiveFeed(opener, factory(), name, FeedOptions(every=every, pace_fps=pace))
    try:
        server = DigitsServer(
            (host, port),
            api,
            limits=ServerLimits(max_body_bytes=max_body_bytes, token=token),
            live=live,
        )
    except OSError as e:
        raise ServerError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    if live is not None:
        live.start()
    return server


if __name__ == "__main__":
    main()
