"""The representative dataset for full-integer quantisation.

Drawn from the MNIST **training** split only (the test set stays untouched for
validation), balanced across the ten classes and seeded, so the int8 ranges
are reproducible and no digit is under-represented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from converter.errors import ConversionError
from trainer.mnist_files import NUM_CLASSES, MnistSplit


def balanced_indices(labels: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Indices of ``samples`` examples, as equal per class as possible, seeded.

    With ``samples`` not a multiple of ten the first ``samples % 10`` classes
    get one more example. Returned in shuffled order.
    """
    if samples < NUM_CLASSES:
        raise ConversionError(
            f"calibration needs at least {NUM_CLASSES} samples (one per class), got {samples}"
        )
    rng = np.random.default_rng(seed)
    base, extra = divmod(samples, NUM_CLASSES)
    chosen = []
    for digit in range(NUM_CLASSES):
        pool = np.flatnonzero(labels == digit)
        wanted = base + (1 if digit < extra else 0)
        if len(pool) < wanted:
            raise ConversionError(
                f"calibration wants {wanted} images of digit {digit}, the training data has "
                f"{len(pool)}"
            )
        chosen.append(rng.choice(pool, size=wanted, replace=False))
    indices = np.concatenate(chosen)
    rng.shuffle(indices)
    return indices


def calibration_images(train: MnistSplit, samples: int, seed: int) -> np.ndarray:
    """The balanced calibration subset as float32 raw pixels ``(samples, 28, 28)``."""
    return train.images[balanced_indices(train.labels, samples, seed)].astype(np.float32)


def representative_dataset(images: np.ndarray) -> Callable[[], Iterator[list[np.ndarray]]]:
    """The generator factory ``TFLiteConverter.representative_dataset`` expects."""

    def generate() -> Iterator[list[np.ndarray]]:
        for image in images:
            yield [image[np.newaxis]]

    return generate
