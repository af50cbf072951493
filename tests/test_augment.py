"""Training augmentation: seeded, shape-preserving, and each ingredient doing what it says.

Fast tier: numpy and OpenCV only, on digits drawn here (no TensorFlow, no MNIST).
"""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="augmentation needs OpenCV (the 'edge' extra)")

from trainer.augment import (  # noqa: E402
    RECIPES,
    AugmentRecipe,
    augment_batch,
    batch_rng,
    normalise_like_runtime,
    recipe,
)
from trainer.errors import TrainingError  # noqa: E402


def drawn_digits(count: int = 24) -> np.ndarray:
    """MNIST-like white-on-black 0s, 1s and 7s, drawn with a 2-px pen, centred in 28×28."""
    images = np.zeros((count, 28, 28), np.uint8)
    for i, image in enumerate(images):
        kind = i % 3
        if kind == 0:
            cv2.ellipse(image, (14, 14), (6, 9), 0, 0, 360, 255, 2, cv2.LINE_AA)
        elif kind == 1:
            cv2.line(image, (14, 4), (13, 23), 255, 2, cv2.LINE_AA)
        else:
            cv2.line(image, (8, 5), (20, 5), 255, 2, cv2.LINE_AA)
            cv2.line(image, (20, 5), (12, 23), 255, 2, cv2.LINE_AA)
    return images


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    moments = cv2.moments(image)
    return moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]


def ink_box(image: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(image > 40)
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_same_seed_same_batch_other_seed_other_batch() -> None:
    images = drawn_digits()
    real = RECIPES["real"]
    first = augment_batch(images, real, batch_rng(1999, 3, 7))
    again = augment_batch(images, real, batch_rng(1999, 3, 7))
    other = augment_batch(images, real, batch_rng(1999, 4, 7))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.dtype == np.uint8 and first.shape == images.shape


def test_no_recipe_changes_nothing_and_input_is_not_modified() -> None:
    images = drawn_digits()
    before = images.copy()
    np.testing.assert_array_equal(
        augment_batch(images, RECIPES["none"], batch_rng(0, 0, 0)), images
    )
    augment_batch(images, RECIPES["real"], batch_rng(0, 0, 0))
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize("name", ["geometric", "slant-aspect", "elastic"])
def test_warps_move_ink_but_keep_the_digit(name: str) -> None:
    images = drawn_digits()
    out = augment_batch(images, recipe(name), batch_rng(5, 0, 0))
    changed = np.mean([not np.array_equal(a, b) for a, b in zip(images, out, strict=True)])
    assert changed > 0.9
    ink_ratio = out.astype(float).sum(axis=(1, 2)) / images.astype(float).sum(axis=(1, 2))
    assert np.all((ink_ratio > 0.6) & (ink_ratio < 1.6)), ink_ratio
    # Digits stay on the canvas: few images have strong ink on the outer ring.
    ring = np.concatenate([out[:, 0], out[:, -1], out[:, :, 0], out[:, :, -1]], axis=1)
    assert (ring.max(axis=1) > 128).mean() < 0.2


def test_slant_changes_the_lean_of_a_one() -> None:
    one = np.repeat(drawn_digits(3)[1:2], 64, axis=0)
    slanted = augment_batch(
        one, AugmentRecipe(max_shear=0.4), batch_rng(1, 0, 0)
    )  # shear only: the top of the stroke moves sideways, the middle row stays
    tops = [np.flatnonzero(image[5] > 100).mean() for image in slanted if image[5].max() > 100]
    assert np.ptp(tops) > 3


def test_thickness_makes_some_strokes_thicker_and_some_thinner() -> None:
    images = np.repeat(drawn_digits(3)[:1], 200, axis=0)
    out = augment_batch(images, AugmentRecipe(thickness=True), batch_rng(2, 0, 0))
    ink = (out > 127).sum(axis=(1, 2))
    base = (images[0] > 127).sum()
    assert (ink > 1.3 * base).mean() > 0.2  # dilated
    assert (ink < 0.9 * base).mean() > 0.1  # eroded
    assert (ink == base).mean() > 0.2  # left alone
    assert ink.min() >= 0.5 * base  # erosion never wipes a digit out


def test_runtime_normalisation_recentres_and_resizes_a_displaced_digit() -> None:
    small = np.zeros((28, 28), np.uint8)
    cv2.line(small, (2, 2), (2, 12), 255, 2)  # a short 1 in the top-left corner
    cv2.line(small, (2, 2), (8, 2), 255, 2)
    out = normalise_like_runtime(small)
    x, y = centre_of_mass(out)
    assert abs(x - 14) < 1.0 and abs(y - 14) < 1.0
    assert max(ink_box(out)) in range(18, 23)  # the 20-px box of MNIST (antialiased edges)


def test_parity_recipe_output_looks_like_the_runtime_output() -> None:
    images = drawn_digits()
    out = augment_batch(images, recipe("parity"), batch_rng(3, 0, 0))
    for image in out:
        x, y = centre_of_mass(image)
        assert abs(x - 14) < 1.0 and abs(y - 14) < 1.0
        assert max(ink_box(image)) in range(18, 23)


def test_blank_images_survive_every_recipe() -> None:
    blank = np.zeros((4, 28, 28), np.uint8)
    for name in RECIPES:
        np.testing.assert_array_equal(augment_batch(blank, recipe(name), batch_rng(0, 0, 0)), blank)


def test_bad_input_and_unknown_recipe_raise_training_errors() -> None:
    with pytest.raises(TrainingError, match=r"uint8 \(N, 28, 28\)"):
        augment_batch(np.zeros((2, 32, 32), np.uint8), RECIPES["real"], batch_rng(0, 0, 0))
    with pytest.raises(TrainingError, match=r"float32"):
        augment_batch(np.zeros((2, 28, 28), np.float32), RECIPES["real"], batch_rng(0, 0, 0))
    with pytest.raises(TrainingError, match="expected one of"):
        recipe("sparkles")
