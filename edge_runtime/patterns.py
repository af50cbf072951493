"""Periodic backgrounds (cheque guilloche, squared or dotted paper) taken out of the ink image.

A printed pattern repeats across the whole page, so its spectrum is a set
of sharp peaks, while handwriting is local and its spectrum is smooth. The
pattern's thin lines are as strong as pencil and touch the digits, so no
threshold or stroke-width test on the mask separates them; in the spectrum
they stand apart. Here the frequencies far stronger than their neighbours
(:data:`PEAK_RATIO`) are cut out and the ink image is rebuilt without them.

The transform costs a few milliseconds at the working size, so it is only
tried when the ink mask covers most of the page (:data:`SPREAD`): plain
paper with writing on it never pays for it. A page whose ink is spread but
not periodic (shadows, grain, scribbles, a box round the number) has no
peaks holding :data:`MIN_SHARE` of its fine detail, and a periodic part
that fills only a band of the page (a form's comb boxes, a line of print)
is not paper's pattern (:func:`everywhere`): both are left as they are.

Pure numpy/OpenCV on ink-strength images (``uint8``, white ink on black).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.opencv import cv2

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


def without_pattern(ink: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``ink`` without a periodic background pattern; the same object when there is none.

    ``mask`` is the ink mask found with the pattern (None: nothing stood
    out); only when it covers at least :data:`SPREAD` of the page is the
    spectrum looked at.
    """
    if mask is None or spread(mask) < SPREAD:
        return ink
    found = pattern_peaks(ink)
    if found is None:
        return ink
    spectrum, peaks = found
    spectrum[~peaks] = 0
    pattern = np.fft.irfft2(spectrum, s=ink.shape).astype(np.float32)
    if not everywhere(pattern):
        return ink
    return np.clip(ink - pattern, 0, 255).astype(np.uint8)


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
