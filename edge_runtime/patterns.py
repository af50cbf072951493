"""Periodic backgrounds (cheque guilloche, squared or dotted paper) taken out of the ink image.

A printed pattern repeats across the whole page, so its spectrum is a set
of sharp peaks, while handwriting is local and its spectrum is smooth. The
pattern's thin lines are as strong as pencil and touch the digits, so no
threshold or stroke-width test on the mask separates them; in the spectrum
they stand apart. Here the frequencies far stronger than their neighbours
(:data:`PEAK_RATIO`) are cut out and the ink image is rebuilt without them.

The transform costs a few milliseconds at the working size, so it is only
tried when the ink mask covers most of the page (:data:`SPREAD`). Large
writing or a tight crop of it on plain paper still pays for it: on the real
photos the gate opens on 73 of 218 calls (pencil on a pattern opens it at a
spread as low as 0.53, so it cannot be stricter). A page whose ink is
spread but not periodic (shadows, grain, scribbles, a box round the number) has no
peaks holding :data:`MIN_SHARE` of its fine detail, and a periodic part
that fills only a band of the page (a form's comb boxes, a line of print)
is not paper's pattern (:func:`everywhere`): both are left as they are.
Printed paper's pattern is also lighter and finer than the writing on it:
when what the cut leaves is not clearly stronger than what it took
(:data:`LIGHTER`), or the pattern's strongest repeat is not well under the
height of the digits left (:data:`FINER`), the periodic part was the page's
content, not its paper (a blank cheque or sheet of squared paper, a table
of numbers, a long wavy scribble), and nothing is cut.

The periodic part is taken around the ink image's mean, so the
cut leaves the paper at about the pattern's average strength (7-15 levels
of ink on the test pages), not at 0; the threshold that follows sees the
same offset under the writing and the paper. (Taking the median out as
well lowered pencil on patterns, seed 31, from 95% to 90%.)

Pure numpy/OpenCV on ink-strength images (``uint8``, white ink on black).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.ink import ink_mask
from edge_runtime.opencv import cv2
from edge_runtime.pixels import MIN_CONTRAST
from edge_runtime.scale import rough_scale

CELLS = 8
"""The page is cut into CELLS × CELLS cells to see how far the ink spreads."""

SPREAD = 0.5
"""A pattern is looked for when at least this share of the cells holds ink."""

PEAK_RATIO = 4.0
"""A frequency whose magnitude is this many times its neighbours' (geometric mean), in every
direction, is a peak."""

LOWEST = 0.02
"""Frequencies below this (cycles per pixel: periods over 50 px) are the writing's and the
light's, never cut."""

MIN_SHARE = 0.15
"""The peaks must hold at least this share of the energy above :data:`LOWEST`: a pattern, not
the few chance peaks of noise."""

EVERYWHERE = 0.8
"""Share of the page's cells the periodic part must reach (see :func:`everywhere`)."""


LIGHTER = 0.8
"""What the cut leaves must reach this many times the strength of what it took (both at their
99.9th percentile, what is left measured from its median): writing on a pattern leaves 1.5-6
times the pattern (pencil, seed 31), a lone pencil 1 on it 0.96 (seed 101 page 28); a blank
patterned page or a table of printed numbers leaves under 0.6 of it."""


FINER = 0.9
"""The period of the pattern's strongest peak must be under this share of the digits' height
(the pipeline's scale when it has one, else the rough scale of what the cut leaves): 0.1-0.45
on pencil over patterns (seed 31, one call 0.78), 1.1-1.9 on tables of handwritten numbers,
whose rows and columns repeat. A pattern as coarse as small writing is left in."""


def _beside(dy: int, dx: int) -> np.ndarray:
    """A kernel averaging the points 2 and 3 steps either side along the direction (dy, dx)."""
    kernel = np.zeros((7, 7), np.float32)
    for step in (-3, -2, 2, 3):
        kernel[3 + step * dy, 3 + step * dx] = 0.25
    return kernel


_KERNELS = [_beside(0, 1), _beside(1, 0), _beside(1, 1), _beside(1, -1)]
"""A peak stands above its neighbours in all four directions; a ridge (the spectrum of one
straight stroke, a frame's side or a 1) does not along its own length."""


def spread(mask: np.ndarray) -> float:
    """Share of the page's CELLS × CELLS cells holding ink of ``mask`` (0/255): more than a
    few pixels, ~0.2% of the cell (a cell's mean rounds to at least 1)."""
    if min(mask.shape) < CELLS:
        return 0.0
    cells = cv2.resize(mask, (CELLS, CELLS), interpolation=cv2.INTER_AREA)
    return float(np.count_nonzero(cells)) / cells.size


def pattern_peaks(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The spectrum of ``ink`` (``rfft2`` of it less its mean) and its pattern peaks, or None.

    None when the peaks hold less than :data:`MIN_SHARE` of the energy above
    :data:`LOWEST` (no periodic pattern).
    """
    values = ink.astype(np.float32)
    spectrum = np.fft.rfft2(values - values.mean())
    magnitude = np.log1p(np.abs(spectrum)).astype(np.float32)
    around = np.max([cv2.filter2D(magnitude, -1, kernel) for kernel in _KERNELS], axis=0)
    rows = np.fft.fftfreq(ink.shape[0])[:, None]
    cols = np.fft.rfftfreq(ink.shape[1])[None, :]
    fine = np.hypot(rows, cols) >= LOWEST
    peaks = ((magnitude - around) > np.log(PEAK_RATIO)) & fine
    if not peaks.any():
        return None
    # A peak's skirt (the pattern is not quite periodic: perspective, wavy lines) goes too.
    peaks = cv2.dilate(peaks.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & fine
    energy = np.abs(spectrum) ** 2
    if energy[peaks].sum() < MIN_SHARE * energy[fine].sum():
        return None
    return spectrum, peaks


def without_pattern(
    ink: np.ndarray, mask: np.ndarray | None, height: float | None = None
) -> np.ndarray:
    """``ink`` without a periodic background pattern; the same object when there is none.

    ``mask`` is the ink mask found with the pattern (None: nothing stood
    out); only when it covers at least :data:`SPREAD` of the page is the
    spectrum looked at. The periodic part is cut only when it fills the page
    (:func:`everywhere`) and is lighter (:func:`lighter`) and finer
    (:func:`finer`) than the writing it leaves; ``height`` is the digits'
    height when known (else measured on what the cut leaves).
    """
    if mask is None or spread(mask) < SPREAD:
        return ink
    found = pattern_peaks(ink)
    if found is None:
        return ink
    spectrum, peaks = found
    strongest = np.unravel_index(np.argmax(np.where(peaks, np.abs(spectrum), 0)), peaks.shape)
    period = 1 / np.hypot(
        np.fft.fftfreq(ink.shape[0])[strongest[0]], np.fft.rfftfreq(ink.shape[1])[strongest[1]]
    )
    spectrum[~peaks] = 0
    pattern = np.fft.irfft2(spectrum, s=ink.shape).astype(np.float32)
    if not everywhere(pattern):
        return ink
    plain = ink - pattern
    if not lighter(pattern, plain):
        return ink
    plain = np.clip(plain, 0, 255).astype(np.uint8)
    return plain if finer(float(period), plain, height) else ink


def lighter(pattern: np.ndarray, plain: np.ndarray) -> bool:
    """True when ``plain`` (ink less its periodic part) holds writing stronger than ``pattern``.

    Printed paper's pattern is lighter than the writing over it; where the
    periodic part is the strongest ink there is (a blank patterned page, a
    table's repeating rows of numbers), cutting it leaves only its ragged
    edges, which read as digits.
    """
    left = float(np.percentile(plain, 99.9) - np.median(plain))
    return left >= LIGHTER * float(np.percentile(pattern, 99.9))


def finer(period: float, plain: np.ndarray, height: float | None = None) -> bool:
    """True when a pattern repeating every ``period`` pixels is finer than the digits of
    ``height`` pixels, by default measured in ``plain`` (the ink image after the cut,
    thresholded as the pipeline does by default).

    A table of numbers repeats too, but every row or column of digits or more.
    """
    if height is not None:
        return period < FINER * height
    mask = ink_mask(plain, MIN_CONTRAST)
    scale = None if mask is None else rough_scale(mask)[1]
    return scale is not None and period < FINER * scale.height


def everywhere(pattern: np.ndarray) -> bool:
    """True when ``pattern`` (the periodic part of an ink image) covers the whole page.

    Each of CELLS × CELLS cells must hold at least a fifth of the energy of
    the strong cells (90th percentile) in :data:`EVERYWHERE` of them: printed
    paper is patterned edge to edge, while the repeats of a form's comb boxes
    or a line of print fill a band of it.
    """
    if min(pattern.shape) < CELLS:
        return False
    cells = cv2.resize(pattern**2, (CELLS, CELLS), interpolation=cv2.INTER_AREA)
    strong = float(np.percentile(cells, 90))
    return strong > 0 and float((cells >= 0.2 * strong).mean()) >= EVERYWHERE
