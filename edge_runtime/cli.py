"""``digits-classify``: classify image files, folders, a webcam or a video with a TFLite model."""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from edge_runtime.clikit import (
    choice_option,
    command,
    file_option,
    float_option,
    folder_option,
    int_option,
    json_option,
    model_input_options,
    threads_option,
    user_errors,
    warnings_as_notes,
)
from edge_runtime.errors import DigitsError, ImageError, OutputError
from edge_runtime.fileio import check_output_dir
from edge_runtime.results import NumberReading, Prediction
from edge_runtime.schema import prediction_json as _prediction_json
from edge_runtime.schema import reading_json as _reading_json

IMAGE_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".pgm",
    ".ppm",
    ".pbm",
}
WINDOW = "digits-edge (q to quit)"

EPILOG = """\b
Examples:
  digits-classify photo.jpg                  # one line: path, digit, confidence
  digits-classify scans/ 'more/*.png' --json # folders and globs, JSON lines
  digits-classify note.jpg --number          # read a whole number, e.g. 2026
  digits-classify --camera 0                 # live webcam (window if there is a display)
  digits-classify --camera 0 --headless --every 5   # on a Pi over SSH
  digits-classify --video clip.mp4 --max-frames 100
  digits-classify bad.jpg --save-debug dbg/  # save what the model actually sees
  digits-classify --model theirs.tflite --input-range 0:1 digit.png   # a model we did not make
  digits-inspect theirs.tflite               # what a model is and how it will be fed
  digits-classify --eval my_numbers/         # accuracy on 2026_note.jpg-style names
  digits-classify --eval labels.csv --json --failures misses.png
"""


def expand_inputs(inputs: tuple[str, ...]) -> Iterator[Path]:
    """Files as given; folders → their image files (sorted); unmatched globs → as given."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        elif any(ch in item for ch in "*?[") and not path.exists():
            matches = sorted(glob.glob(item, recursive=True))
            yield from (Path(m) for m in matches) if matches else (path,)
        else:
            yield path


def _reading_line(reading: NumberReading) -> str:
    if not reading.digits:
        return f"-  0.00  {reading.reason or 'no digit'}"
    return f"{reading.text}  {reading.confidence:.2f}"


def _prediction_line(prediction: Prediction) -> str:
    line = f"{prediction.label}  {prediction.confidence:.2f}"
    return f"{line}  {prediction.reason}" if prediction.reason else line


def classify_files(
    classifier: Any, paths: list[Path], *, number: bool, as_json: bool, debug_dir: Path | None
) -> int:
    """Classify each file, printing one line each; return how many could not be read."""
    from edge_runtime.image_io import load_image

    failed = 0
    for path in paths:
        try:
            image = load_image(path)
            if number or debug_dir is not None:
                inspection = classifier.inspect(image)  # preprocessed once, for both uses
            if debug_dir is not None:
                save_model_view(debug_dir / f"{path.stem}_model_view.png", image, inspection)
            if number:
                payload: dict[str, Any] = {
                    "path": str(path),
                    **_reading_json(inspection.reading),
                    "numbers": [_reading_json(r) for r in inspection.numbers],
                }
                text = _reading_line(inspection.reading)
            else:
                prediction = classifier.classify(image)
                payload = {"path": str(path), **_prediction_json(prediction)}
                text = _prediction_line(prediction)
        except OutputError:
            raise  # the debug folder cannot be written: no point going on
        except DigitsError as e:
            failed += 1
            if as_json:
                click.echo(json.dumps({"path": str(path), "error": str(e)}))
            else:
                click.echo(f"{path}: error: {e}", err=True)
            continue
        click.echo(json.dumps(payload) if as_json else f"{path}  {text}")
    return failed


def save_model_view(path: Path, image: Any, inspection: Any) -> None:
    """Write the frame with digit and rejected boxes beside the enlarged 28×28 model inputs."""
    import cv2

    from edge_runtime.fileio import write_bytes_atomic
    from edge_runtime.overlay import model_view

    picture = model_view(
        image, list(inspection.model_inputs), inspection.reading, rejected=inspection.rejected
    )
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        raise ImageError(f"could not encode the debug picture for {path}")
    write_bytes_atomic(path, encoded.tobytes())


def run_stream(
    classifier: Any,
    source: Any,
    *,
    every: int,
    max_frames: int | None,
    show: bool,
    as_json: bool,
    debug_dir: Path | None,
) -> int:
    """The live loop for a camera or video; returns the number of frames classified."""
    from edge_runtime.live import LiveOptions, run_live
    from edge_runtime.overlay import draw_overlay

    if show:
        import cv2
    count = 0
    with source:
        for result in run_live(source, classifier, LiveOptions(every=every, max_frames=max_frames)):
            count += 1
            if debug_dir is not None:
                save_model_view(debug_dir / f"frame_{result.index:06d}.png", result.frame, result)
            if show:
                cv2.imshow(WINDOW, draw_overlay(result.frame, result.reading, result.fps))
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            elif as_json:
                click.echo(
                    json.dumps(
                        {
                            "frame": result.index,
                            "fps": round(result.fps, 2),
                            **_reading_json(result.reading),
                        }
                    )
                )
            else:
                click.echo(
                    f"frame {result.index}  {_reading_line(result.reading)}  {result.fps:.1f} FPS"
                )
    if show:
        cv2.destroyAllWindows()
    return count


@command(EPILOG)
@click.argument("inputs", nargs=-1, type=str)
@int_option(
    "--camera", None, "Classify live frames from camera N (picamera2 on a Pi).", min=0, metavar="N"
)
@file_option("--video", "Classify the frames of a recorded video file.")
@click.option(
    "--model", type=click.Path(path_type=Path), help="A .tflite model [the bundled int8 model]."
)
@model_input_options()
@threads_option("Interpreter threads.")
@click.option(
    "--number",
    is_flag=True,
    help="Read the most prominent number (files); --json also lists every number with its box.",
)
@click.option(
    "--eval",
    "eval_path",
    type=click.Path(exists=True, path_type=Path),
    help="Measure accuracy on a folder of labelled images (2026_note.jpg) or a file,label CSV.",
)
@file_option(
    "--failures",
    "Contact sheet of the --eval failures (what the model saw).",
    default=Path("failures.png"),
)
@choice_option(
    "--ink",
    ["background", "tophat"],
    "background",
    "How paper is estimated: at the writing's scale (shadow-proof) or one large top-hat.",
)
@float_option("--min-confidence", 0.0, "Report 'no digit' below this confidence.", min=0, max=1)
@choice_option("--threshold", ["otsu", "adaptive"], "otsu", "How ink is separated from paper.")
@click.option("--headless", is_flag=True, help="Print results instead of opening a window.")
@int_option("--every", 1, "Classify every Nth frame (camera/video).", min=1)
@int_option("--max-frames", None, "Stop after this many classified frames (camera/video).", min=1)
@int_option("--width", 640, "Camera frame width.", min=16)
@int_option("--height", 480, "Camera frame height.", min=16)
@folder_option(
    ("--save-debug", "debug_dir"),
    "Save what the model sees (boxes + enlarged 28×28 inputs) as PNGs here.",
)
@json_option("JSON lines instead of text.")
def main(
    inputs: tuple[str, ...],
    camera: int | None,
    video: Path | None,
    model: Path | None,
    input_range: tuple[float, float] | None,
    invert: bool | None,
    threads: int | None,
    number: bool,
    eval_path: Path | None,
    failures: Path,
    ink: str,
    min_confidence: float,
    threshold: str,
    headless: bool,
    every: int,
    max_frames: int | None,
    width: int,
    height: int,
    debug_dir: Path | None,
    as_json: bool,
) -> None:
    """Classify handwritten digits in image files, folders, a webcam or a video.

    Prints one line per image (path, digit, confidence). Unreadable files are
    reported and skipped; the exit status is 1 if any failed.
    """
    sources = sum([bool(inputs), camera is not None, video is not None, eval_path is not None])
    if sources != 1:
        raise click.UsageError(
            "give image files/folders, --camera N, --video FILE or --eval DIR (one of them)"
        )
    with user_errors():
        if debug_dir is not None:
            check_output_dir(debug_dir)
        if eval_path is not None:
            check_output_dir(failures.parent)
        from edge_runtime.classifier import DigitClassifier
        from edge_runtime.preprocess import PreprocessOptions

        with warnings_as_notes():  # which input convention a probed model gets, one line
            classifier = DigitClassifier(
                model,
                num_threads=threads,
                min_confidence=min_confidence,
                preprocess=PreprocessOptions(ink=ink, threshold=threshold),
                input_range=input_range,
                invert=invert,
            )
        if eval_path is not None:
            from edge_runtime.evaluate_cli import run_eval

            run_eval(classifier, eval_path, failures=failures, as_json=as_json)
            return
        if inputs:
            paths = list(expand_inputs(inputs))
            if not paths:
                raise ImageError("no image files found in the given folders")
            failed = classify_files(
                classifier, paths, number=number, as_json=as_json, debug_dir=debug_dir
            )
            if failed:
                raise click.ClickException(f"{failed} of {len(paths)} images could not be read")
            return
        from edge_runtime.camera import open_camera, open_video
        from edge_runtime.overlay import gui_available

        source = (
            open_video(video)
            if video is not None
            else open_camera(camera or 0, width=width, height=height)
        )
        show = not headless and gui_available()
        count = run_stream(
            classifier,
            source,
            every=every,
            max_frames=max_frames,
            show=show,
            as_json=as_json,
            debug_dir=debug_dir,
        )
        if not as_json:
            click.echo(f"{count} frames classified", err=True)


if __name__ == "__main__":
    main()
