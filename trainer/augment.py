"""On-the-fly, seeded augmentation for robustness to real handwriting (numpy + OpenCV, no TF).

Pixel contract: batches are ``uint8`` ``(N, 28, 28)`` MNIST-form images (white
ink on black); outputs have the same contract. Each ingredient can be switched
off on its own so its effect can be measured (the README's ablation table):

- **geometry**: rotation, scale and position jitter (one affine warp);
- **slant and aspect**: shear and independent x/y scaling (narrow 1s, wide round 0s);
- **elastic**: smooth random displacement fields (Simard et al. 2003), applied in
  the same ``cv2.remap`` as the affine warp, so it costs one resampling;
- **thickness**: erosion or dilation (a thin pen to a marker);
- **parity**: each image then goes through the edge runtime's own normalisation
  of a digit crop (threshold, crop, stroke-width fix, 20 px box, centre of mass),
  imported from :mod:`edge_runtime.mnist_form`, so the model trains on what the
  runtime will hand it from a real photo.

Every batch is drawn from ``numpy.random.default_rng((seed, epoch, batch))``:
a run is reproducible whatever order batches are made in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from trainer.errors import TrainingError

SIDE = 28
_CENTRE = (SIDE - 1) / 2.0
_CHANNELS = 128  # OpenCV filters stacks of images as channels; 5.x allows at most 128


@dataclass(frozen=True)
class AugmentRecipe:
    """Strength of each ingredient; 0 (or False) switches it off."""

    max_rotation_deg: float = 0.0
    """Uniform rotation in ±this many degrees."""
    max_scale: float = 0.0
    """Uniform overall scale in 1 ± this."""
    max_shift_px: float = 0.0
    """Uniform shift in ±this many pixels, x and y independently."""
    max_shear: float = 0.0
    """Slant: horizontal shear factor in ±this (0.3 ≈ 17°)."""
    max_aspect: float = 0.0
    """Aspect jitter: x scale / y scale in exp(±this)."""
    elastic_alpha: float = 0.0
    """Elastic displacement strength in pixels (Simard: 34 with sigma 4 on 28×28)."""
    elastic_sigma: float = 4.0
    """Smoothness (Gaussian sigma, pixels) of the elastic displacement field."""
    thickness: bool = False
    """Randomly erode 2×2 (25%), keep (35%) or dilate 2×2 (25%) or 3×3 (15%)."""
    parity: bool = False
    """Renormalise every image with the edge runtime's crop normalisation."""
    probability: float = 1.0
    """Fraction of images that are augmented at all; the rest pass unchanged."""

    @property
    def warps(self) -> bool:
        return any(
            (
                self.max_rotation_deg,
                self.max_scale,
                self.max_shift_px,
                self.max_shear,
                self.max_aspect,
                self.elastic_alpha,
            )
        )


_GEOMETRIC = AugmentRecipe(max_rotation_deg=10.0, max_scale=0.1, max_shift_px=2.5)
_REAL = replace(
    _GEOMETRIC,
    max_shear=0.3,
    max_aspect=0.25,
    elastic_alpha=30.0,
    elastic_sigma=5.0,
    thickness=True,
    parity=True,
)
RECIPES: dict[str, AugmentRecipe] = {
    "none": AugmentRecipe(),
    "geometric": _GEOMETRIC,
    "slant-aspect": replace(_GEOMETRIC, max_shear=0.3, max_aspect=0.25),
    "elastic": replace(_GEOMETRIC, elastic_alpha=30.0, elastic_sigma=5.0),
    "thickness": replace(_GEOMETRIC, thickness=True),
    "parity": replace(_GEOMETRIC, parity=True),
    "real-no-parity": replace(_REAL, parity=False),
    "real": _REAL,
}
"""Named recipes: ``geometric`` alone, geometric + one ingredient each, and all of them."""


def recipe(name: str) -> AugmentRecipe:
    """The named recipe, or a :class:`TrainingError` listing the names."""
    try:
        return RECIPES[name]
    except KeyError:
        raise TrainingError(
            f"unknown augmentation recipe {name!r}: expected one of {sorted(RECIPES)}"
        ) from None


def _smooth_fields(rng: np.random.Generator, count: int, sigma: float) -> np.ndarray:
    """``(count, 2, 28, 28)`` uniform(-1, 1) noise smoothed by a normalised Gaussian (Simard)."""
    import cv2

    noise = rng.uniform(-1.0, 1.0, (SIDE, SIDE, count * 2)).astype(np.float32)
    blurred = np.empty_like(noise)
    for start in range(0, noise.shape[2], _CHANNELS):
        chunk = np.ascontiguousarray(noise[:, :, start : start + _CHANNELS])
        out = cv2.GaussianBlur(chunk, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
        blurred[:, :, start : start + _CHANNELS] = out.reshape(chunk.shape)
    return blurred.transpose(2, 0, 1).reshape(count, 2, SIDE, SIDE)


def _inverse_affines(rng: np.random.Generator, count: int, r: AugmentRecipe) -> np.ndarray:
    """``(count, 2, 3)`` maps from output pixel to source pixel, about the image centre."""
    angle = np.deg2rad(rng.uniform(-r.max_rotation_deg, r.max_rotation_deg, count))
    scale = 1.0 + rng.uniform(-r.max_scale, r.max_scale, count)
    aspect = np.exp(rng.uniform(-r.max_aspect, r.max_aspect, count))
    shear = rng.uniform(-r.max_shear, r.max_shear, count)
    shift = rng.uniform(-r.max_shift_px, r.max_shift_px, (count, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    sx, sy = scale * np.sqrt(aspect), scale / np.sqrt(aspect)
    # forward = R · Shear · S (output = forward · (source - c) + c + shift)
    forward = np.empty((count, 2, 2))
    forward[:, 0, 0] = cos * sx
    forward[:, 0, 1] = (cos * shear - sin) * sy
    forward[:, 1, 0] = sin * sx
    forward[:, 1, 1] = (sin * shear + cos) * sy
    inverse = np.linalg.inv(forward)
    offset = _CENTRE - np.einsum("nij,nj->ni", inverse, _CENTRE + shift)
    return np.concatenate([inverse, offset[:, :, None]], axis=2)


def _warp(images: np.ndarray, rng: np.random.Generator, r: AugmentRecipe) -> np.ndarray:
    import cv2

    count = len(images)
    affines = _inverse_affines(rng, count, r)
    ys, xs = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    map_x = affines[:, 0, 0, None, None] * xs + affines[:, 0, 1, None, None] * ys
    map_x += affines[:, 0, 2, None, None]
    map_y = affines[:, 1, 0, None, None] * xs + affines[:, 1, 1, None, None] * ys
    map_y += affines[:, 1, 2, None, None]
    if r.elastic_alpha > 0:
        # Simard et al. use alpha 34, sigma 4 (~1.4 px std); that turned some 0s into blobs
        # here, so the recipes use 30 and 5: smoother, ~1 px std, ~3 px at most.
        fields = _smooth_fields(rng, count, r.elastic_sigma) * r.elastic_alpha
        map_x = map_x + fields[:, 0]
        map_y = map_y + fields[:, 1]
    map_x, map_y = map_x.astype(np.float32), map_y.astype(np.float32)
    out = np.empty_like(images)
    for i in range(count):
        out[i] = cv2.remap(
            images[i], map_x[i], map_y[i], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
    return out


# (operation, square kernel side, probability): thin pen ... marker.
_THICKNESS = (("erode", 2, 0.25), ("keep", 0, 0.35), ("dilate", 2, 0.25), ("dilate", 3, 0.15))


def _thickness(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    import cv2

    choice = rng.choice(len(_THICKNESS), size=len(images), p=[p for *_, p in _THICKNESS])
    out = images.copy()
    for index, (operation, side, _) in enumerate(_THICKNESS):
        picked = np.flatnonzero(choice == index)
        if operation == "keep" or picked.size == 0:
            continue
        morph = cv2.erode if operation == "erode" else cv2.dilate
        for start in range(0, picked.size, _CHANNELS):  # a stack of images as channels
            rows = picked[start : start + _CHANNELS]
            stack = np.ascontiguousarray(images[rows].transpose(1, 2, 0))
            changed = morph(stack, np.ones((side, side), np.uint8))
            out[rows] = changed.reshape(SIDE, SIDE, -1).transpose(2, 0, 1)
    # An erosion that wiped out half the ink of a thin digit is undone.
    eroded = np.flatnonzero(choice == 0)
    ink_after = (out[eroded] > 127).sum(axis=(1, 2))
    ink_before = (images[eroded] > 127).sum(axis=(1, 2))
    undo = eroded[ink_after < 0.5 * ink_before]
    out[undo] = images[undo]
    return out


def normalise_like_runtime(image: np.ndarray) -> np.ndarray:
    """One white-on-black digit image through the runtime's crop normalisation (28×28 uint8).

    Thresholds with the runtime's :func:`edge_runtime.ink.ink_mask`, takes the
    ink strength near the mask exactly as the runtime does for a blob found in a
    photo (stretched so a typical stroke is full white) and hands it to
    :func:`edge_runtime.mnist_form.normalize_digit`, the function that turns
    every digit the runtime finds into MNIST form (stroke width made MNIST-like,
    longest side 20 px, centred by mass). An image with no ink is returned
    unchanged.
    """
    from edge_runtime.ink import ink_mask
    from edge_runtime.mnist_form import ink_strength, normalize_digit
    from edge_runtime.preprocess import DEFAULT_OPTIONS

    mask = ink_mask(image, DEFAULT_OPTIONS.min_contrast)
    if mask is None or not mask.any():
        return image
    strength = ink_strength(image.astype(np.float32), (mask > 0).astype(np.uint8))
    return normalize_digit(strength, target_stroke_ratio=DEFAULT_OPTIONS.target_stroke_ratio)


def augment_batch(images: np.ndarray, r: AugmentRecipe, rng: np.random.Generator) -> np.ndarray:
    """Augment a ``uint8`` ``(N, 28, 28)`` batch with recipe ``r``; returns a new array."""
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE) or images.dtype != np.uint8:
        raise TrainingError(
            f"augment_batch expects uint8 (N, 28, 28), got {images.dtype} {images.shape}"
        )
    out = images.copy()
    chosen = np.flatnonzero(rng.random(len(images)) < r.probability)
    if chosen.size == 0:
        return out
    part = out[chosen]
    if r.warps:
        part = _warp(part, rng, r)
    if r.thickness:
        part = _thickness(part, rng)
    if r.parity:
        part = np.stack([normalise_like_runtime(image) for image in part])
    out[chosen] = part
    return out


def batch_rng(seed: int, epoch: int, batch: int) -> np.random.Generator:
    """The generator of one batch: the same (seed, epoch, batch) always augments the same way."""
    return np.random.default_rng((seed, epoch, batch))
