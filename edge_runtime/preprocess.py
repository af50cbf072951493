"""The one preprocessing entry point: any image → digit crops grouped into numbers, or why not.

``prepare(image)`` returns :class:`Prepared` (numbers along text lines, each a
tuple of candidates; each candidate a blob of ink with its alternative
segmentations into 28×28 MNIST-form crops) or :class:`NoDigit` (a typed
reason). The classifier then only predicts: load → prepare → predict.

Pipeline, all pure numpy/OpenCV: gray → a working copy (≤ ``working_side``)
→ polarity (ink made white) → a cheap top-hat pass that measures the writing's
stroke width and digit height (:mod:`edge_runtime.scale`) → when strokes came
out thinner than ~2 px or digits shorter than ``min_height_px`` and the
original has more pixels, the region of the writing is re-read at a zoom that gives them room,
grown where its edge cuts writing (:mod:`edge_runtime.views`) → ink separated from the paper at
the writing's scale (see :mod:`edge_runtime.ink`), a cheque's or squared paper's print cut out of
its spectrum (:mod:`edge_runtime.patterns`) → boxes drawn round the number, underlines and
ruled lines removed (:mod:`edge_runtime.marks`) → components measured, broken digits joined,
non-digits rejected with reasons (:mod:`edge_runtime.components`) → digits
grouped into numbers, comb dividers and printed headings dropped
(:mod:`edge_runtime.lines`) → blobs too wide for one digit get candidate cuts
(:mod:`edge_runtime.split`) → every crop normalised by
:func:`edge_runtime.mnist_form.normalize_digit`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from edge_runtime.components import (
    Blob,
    Rejected,
    Scale,
    beyond_edge,
    estimate_scale,
    find_blobs,
    merge_parts,
    page_edges,
    select_digits,
)
from edge_runtime.errors import ImageError
from edge_runtime.frames import drawn_frames, faint_inside
from edge_runtime.ink import (
    background_ink,
    ink_mask,
    polarity_flipped,
    tophat_ink,
)
from edge_runtime.lines import comb_dividers, frame_sides, group_lines, union_box, without_printed
from edge_runtime.marks import erase_marks
from edge_runtime.mnist_form import (
    TARGET_STROKE_RATIO,
    center_by_mass,
    ink_strength,
    normalize_digit,
    stroke_width,
    widened_form,
)
from edge_runtime.opencv import cv2
from edge_runtime.patterns import without_pattern
from edge_runtime.pixels import MIN_CONTRAST, MNIST_SIDE, is_mnist_like, to_gray
from edge_runtime.results import Box
from edge_runtime.scale import rough_scale, tallness, without_rulings
from edge_runtime.split import SPLIT_ASPECT, Lattice, Piece, digit_width, lattice, segment
from edge_runtime.views import Rough, View, closer_view, working_view

__all__ = [
    "DEFAULT_OPTIONS",
    "Candidate",
    "DigitCrop",
    "NoDigit",
    "NumberCandidate",
    "Prepared",
    "PreprocessOptions",
    "Rejected",
    "center_by_mass",
    "normalize_digit",
    "prepare",
    "stroke_width",
    "to_gray",
]


FAINT_FLOOR = 0.4
"""After background estimation, ink is at least this fraction of the strongest stroke."""

MAX_COMPONENTS = 400
"""At most this many components (the largest) are joined, grouped and read. Our real photos
have up to ~110 and a page of text a few hundred; salt noise has thousands, each a digit
candidate, so without it a noisy frame took minutes."""


@dataclass(frozen=True)
class PreprocessOptions:
    """Knobs of the preprocessing pipeline; the defaults suit paper photos and webcams."""

    ink: str = "background"
    """How paper is told from ink: ``"background"`` (paper estimated at the writing's scale,
    shadow-proof) or ``"tophat"`` (one large top-hat; the round-1 method)."""
    threshold: str = "otsu"
    """``"otsu"`` (global, after background flattening) or ``"adaptive"`` (local mean)."""
    working_side: int = 512
    """Frames are first read at most this big (speed); boxes are mapped back."""
    min_stroke_px: float = 2.2
    """Writing whose strokes are thinner than this at the working size is re-read zoomed in."""
    min_height_px: float = 32.0
    """Writing shorter than this at the working size is re-read zoomed in (so a digit is drawn
    into the model's 20-px box from at least this many pixels, not enlarged from a smudge)."""
    max_zoom_pixels: int = 2_500_000
    """Upper bound on the pixels of that zoomed re-read (time and memory stay bounded)."""
    min_contrast: int = MIN_CONTRAST
    """Ink must stand out from the background by this many gray levels, or there is no digit."""
    min_relative_area: float = 0.06
    """Candidates smaller than this fraction of the largest one are specks (dots, dust)."""
    remove_lines: bool = True
    """Remove ruled or squared-paper lines that run across most of the image."""
    split_touching: bool = True
    """Offer candidate cuts for blobs too wide for one digit (the classifier picks)."""
    target_stroke_ratio: float = TARGET_STROKE_RATIO
    """Stroke width / digit height wanted before scaling (MNIST's is about 0.1-0.15)."""

    def __post_init__(self) -> None:
        if self.ink not in ("background", "tophat"):
            raise ImageError(f"ink must be 'background' or 'tophat', got {self.ink!r}")
        if self.threshold not in ("otsu", "adaptive"):
            raise ImageError(f"threshold must be 'otsu' or 'adaptive', got {self.threshold!r}")
        if self.working_side < 32:
            raise ImageError(f"working_side must be at least 32, got {self.working_side}")


DEFAULT_OPTIONS = PreprocessOptions()


@dataclass(frozen=True)
class DigitCrop:
    """One digit ready for the model: 28×28 uint8 white-on-black pixels and where it was found."""

    pixels: np.ndarray
    box: Box
    widened: np.ndarray | None = None
    """For a digit much taller than its neighbours (a 7 or 9 hanging below the line), the same
    ink widened by how much taller it is (:func:`~edge_runtime.mnist_form.widen`), in MNIST
    form: fitted into the 20-px box a tall narrow 7 is as thin as a 1. The classifier reads
    it when ``pixels`` read as 1. None for every other crop."""


@dataclass(frozen=True)
class Candidate:
    """One blob of ink: ``crops[0]`` reads it as one digit; the others are pieces of it.

    ``pieces[i]`` says where ``crops[i]`` lies in the blob's lattice of cuts
    (:mod:`edge_runtime.split`); the classifier reads every crop and keeps the
    chain of pieces across the blob it reads best.
    """

    box: Box
    crops: tuple[DigitCrop, ...]
    pieces: tuple[Piece, ...]
    nodes: int = 2
    """Nodes of the lattice: its left and right edges and the cuts between them."""

    @property
    def whole(self) -> DigitCrop:
        return self.crops[0]


@dataclass(frozen=True)
class NumberCandidate:
    """Candidates along one text line, left to right: one number."""

    box: Box
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Prepared:
    """What preprocessing found: numbers (most prominent first) and the components it rejected."""

    numbers: tuple[NumberCandidate, ...]
    rejected: tuple[Rejected, ...] = ()
    mnist_form: bool = False
    """True when the input was already a 28×28 MNIST-form image (passed to the model as is)."""

    def largest(self) -> DigitCrop:
        """The whole-blob crop with the largest box: what a single-digit classifier reads."""
        crops = [c.whole for n in self.numbers for c in n.candidates]
        return max(crops, key=lambda crop: crop.box.width * crop.box.height)


@dataclass(frozen=True)
class NoDigit:
    """Why no digit was found (``reason`` starts with "no digit"), and what was rejected."""

    reason: str
    rejected: tuple[Rejected, ...] = ()


def _whole(box: Box, crop: DigitCrop) -> Candidate:
    return Candidate(box, (crop,), (Piece(0, 1, (0, 0, box.width, box.height), 0.0),))


def _pieces(
    found: Lattice, strength: np.ndarray, place, ratio: float, tall: float = 0.0
) -> Candidate:
    """A candidate whose crops are the lattice's pieces of ``strength`` (ink of the blob)."""
    crops = []
    for piece in found.pieces:
        x0, y0, x1, y1 = piece.box
        whole = piece.start == 0 and piece.end == found.nodes - 1
        part = strength if whole else np.where(found.region(piece), strength, 0)
        pixels = normalize_digit(part[y0:y1, x0:x1], target_stroke_ratio=ratio)
        widened = widened_form(part[y0:y1, x0:x1], tall, ratio) if whole else None
        crops.append(DigitCrop(pixels, place(Box(x0, y0, x1 - x0, y1 - y0)), widened))
    return Candidate(crops[0].box, tuple(crops), found.pieces, found.nodes)


def _candidate(
    blob: Blob, labels: np.ndarray, ink: np.ndarray, view: View, widths, options, tall
) -> Candidate:
    """``widths``: the line's typical and digit widths (split.py); ``tall``: the blob's height
    over the median height of its line's other blobs (or 0)."""
    box = blob.box
    own = np.isin(labels[box.y : box.bottom, box.x : box.right], blob.labels).astype(np.uint8)
    strength = ink_strength(ink[box.y : box.bottom, box.x : box.right].astype(np.float32), own)
    ratio = options.target_stroke_ratio
    found = segment(own, *widths) if options.split_touching else None
    if found is None:
        pixels = normalize_digit(strength, target_stroke_ratio=ratio)
        crop = DigitCrop(pixels, view.to_original(box), widened_form(strength, tall, ratio))
        return _whole(view.to_original(box), crop)

    def place(piece: Box) -> Box:
        return view.to_original(Box(box.x + piece.x, box.y + piece.y, piece.width, piece.height))

    return _pieces(found, strength, place, ratio, tall)


def _mnist_prepared(gray: np.ndarray, options: PreprocessOptions) -> Prepared:
    box = Box(0, 0, MNIST_SIDE, MNIST_SIDE)
    candidate = _whole(box, DigitCrop(gray, box))
    if options.split_touching:  # classify() skips this: one digit, the per-image path
        ys, xs = np.nonzero(gray > 64)
        width, height = int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1
        if width > 1.1 * height:  # "10" in 28×28: maybe two digits
            tight = gray[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
            split = _pieces(
                lattice((tight > 64).astype(np.uint8)),
                tight,
                lambda _: box,
                options.target_stroke_ratio,
            )
            candidate = replace(split, box=box, crops=(DigitCrop(gray, box), *split.crops[1:]))
    return Prepared((NumberCandidate(box, (candidate,)),), mnist_form=True)


def _mask(view: View, dark: bool, options: PreprocessOptions, scale: Scale | None):
    flipped = polarity_flipped(view.gray, dark)
    background = options.ink == "background" and scale is not None
    ink = background_ink(flipped, scale.stroke) if background else tophat_ink(flipped)
    floor = FAINT_FLOOR if background else 0.4  # paper flat at ~0: keeps faint beside bold
    mask = ink_mask(ink, options.min_contrast, options.threshold, floor)
    height = None if scale is None else scale.height  # patterned paper is finer than digits
    if (plain := without_pattern(ink, mask, height)) is not ink:  # guilloche, squared paper
        ink, mask = plain, ink_mask(plain, options.min_contrast, options.threshold, floor)
    return ink, mask


def _rough(view: View, dark: bool, options: PreprocessOptions) -> Rough:
    """The cheap top-hat pass: ink, mask, blobs and scale, or a None mask when nothing stands out.

    The paper's edge (a dark table beyond it) is ink to a top-hat; it is
    taken out of the mask so that it cannot set the writing's scale.
    """
    ink, mask = _mask(view, dark, replace(options, ink="tophat"), None)
    if mask is None:
        return Rough(ink, None, [], None)
    blobs, scale = rough_scale(mask)
    beyond = beyond_edge(mask, blobs)
    if beyond is not None:  # a dark table beyond the paper's edge: threshold the paper alone
        ink = ink.copy()
        ink[beyond] = 0
        mask = ink_mask(ink, options.min_contrast, options.threshold)
        if mask is None:
            return Rough(ink, None, [], None)
        blobs, scale = rough_scale(mask)
    edges = page_edges(blobs, mask.shape)
    if not edges:
        return Rough(ink, mask, blobs, scale)
    mask = mask.copy()
    for edge in edges:
        box = edge.box
        strip = cv2.dilate(mask[box.y : box.bottom, box.x : box.right], np.ones((5, 5), np.uint8))
        mask[box.y : box.bottom, box.x : box.right][strip > 0] = 0
    return Rough(ink, mask, *rough_scale(mask))


def prepare(image: np.ndarray, options: PreprocessOptions = DEFAULT_OPTIONS) -> Prepared | NoDigit:
    """Digits in ``image`` (gray/BGR/BGRA ``uint8``) grouped into numbers, or why there are none."""
    gray = to_gray(image)
    if is_mnist_like(gray, options.min_contrast):
        return _mnist_prepared(gray, options)
    view = working_view(gray, options.working_side)
    contrast = int(np.ptp(view.gray))
    if contrast < options.min_contrast:
        return NoDigit(f"no digit: blank image (contrast {contrast} < {options.min_contrast})")
    view, dark, (rough_ink, rough, _, scale) = closer_view(
        gray,
        view,
        partial(_rough, options=options),
        min_stroke_px=options.min_stroke_px,
        min_height_px=options.min_height_px,
        max_zoom_pixels=options.max_zoom_pixels,
    )
    if rough is None:
        return NoDigit("no digit: nothing stands out from the background")
    if scale is None:
        return NoDigit("no digit: no ink found")
    if options.ink == "background":
        ink, mask = _mask(view, dark, options, scale)
    else:
        ink, mask = rough_ink, rough
    if mask is None:
        return NoDigit("no digit: nothing stands out from the background")
    ruled: list[Rejected] = []
    if options.remove_lines:
        mask = without_rulings(mask, scale)
    labels, blobs = find_blobs(mask, min_area=4)
    frames: list[tuple[Blob, str]] = []
    if options.remove_lines:
        # Pencil inside a pen-drawn box falls below the page's threshold: look inside again.
        inside = faint_inside(ink, mask, labels, blobs, options.min_contrast, options.threshold)
        if inside is not None:
            mask = inside
            labels, blobs = find_blobs(mask, min_area=4)
        frames = drawn_frames(labels, blobs)
    unframed = [b for b in blobs if all(b is not f for f, _ in frames)]
    scale = estimate_scale(unframed, strict=True) or scale
    if options.remove_lines:
        frame_blobs = [blob for blob, _ in frames]
        mask, labels, blobs, scale, ruled = erase_marks(mask, labels, blobs, frame_blobs, scale)
    # Specks are dots about one stroke across. A piece of a thin, broken digit beside a bold
    # one has less ink than a bold stroke's square but is longer: it stays, to be joined.
    floor_area, floor_side = max(4, int(1.5 * scale.stroke**2)), 1.5 * scale.stroke
    blobs = [
        b
        for b in blobs
        if (b.area >= floor_area or max(b.box.width, b.box.height) >= floor_side)
        and all(b is not f for f, _ in frames)
    ]
    crowd: list[Rejected] = []
    if len(blobs) > MAX_COMPONENTS:
        blobs = sorted(blobs, key=lambda b: -b.area)
        reason = f"speck (one of {len(blobs)} components; the largest {MAX_COMPONENTS} are read)"
        crowd = [Rejected(b.box, reason) for b in blobs[MAX_COMPONENTS:]]
        blobs = blobs[:MAX_COMPONENTS]
    # Pieces of a broken digit are joined before they could be rejected as specks.
    kept, rejected = select_digits(merge_parts(blobs, scale, mask.shape), scale, mask.shape)
    rejected += crowd
    rejected += ruled
    kept, dividers = comb_dividers(kept, scale.height)
    rejected += dividers
    rejected += [Rejected(blob.box, reason) for blob, reason in frames]
    if kept:
        floor = options.min_relative_area * max(b.area for b in kept)
        rejected += [Rejected(b.box, f"speck ({b.area} px)") for b in kept if b.area < floor]
        kept = [b for b in kept if b.area >= floor]
    rejected_original = tuple(Rejected(view.to_original(r.box), r.reason) for r in rejected)
    if not kept:
        return NoDigit("no digit: no ink shaped like a digit", rejected_original)
    lines, typeset = without_printed(group_lines(kept))
    rejected_original += tuple(Rejected(view.to_original(r.box), r.reason) for r in typeset)
    numbers = []
    for found in lines:
        line, sides = frame_sides(found, [r.box for r in ruled if r.box.width > r.box.height])
        rejected_original += tuple(Rejected(view.to_original(r.box), r.reason) for r in sides)
        narrow = [b.box.width for b in line if b.box.width <= SPLIT_ASPECT * b.box.height]
        typical = float(np.median(narrow)) if narrow else None
        digit = digit_width([(b.box.width, b.box.height) for b in line])
        candidates = tuple(
            _candidate(b, labels, ink, view, (typical, digit), options, tallness(line, i))
            for i, b in enumerate(line)
        )
        numbers.append(NumberCandidate(union_box([c.box for c in candidates]), candidates))
    return Prepared(tuple(numbers), rejected_original)
