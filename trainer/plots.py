"""PNG plots of a training run: learning curves, confusion matrix, a grid of test predictions.

matplotlib is imported inside the functions (headless ``Agg`` backend) so the
trainer works, minus pictures, where the ``plots`` extra is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.fileio import atomic_path
from trainer.mnist_files import MnistSplit


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    _pyplot().close(figure)
    return path


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Loss and accuracy per epoch, training vs validation, side by side."""
    plt = _pyplot()
    figure, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for ax, key, title in ((loss_ax, "loss", "Loss"), (acc_ax, "accuracy", "Accuracy")):
        if key in history:
            ax.plot(epochs, history[key], label="train")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(figure, path)


def plot_confusion(matrix: Sequence[Sequence[int]], path: Path) -> Path:
    """Confusion matrix as a heat map with the counts written in each cell."""
    plt = _pyplot()
    counts = np.asarray(matrix)
    figure, ax = plt.subplots(figsize=(6.5, 5.5))
    # Log-ish colour scale so the off-diagonal mistakes are visible beside ~1000s on the diagonal.
    image = ax.imshow(np.log1p(counts), cmap="Blues")
    for (row, col), value in np.ndenumerate(counts):
        colour = "white" if counts[row, col] > counts.max() / 2 else "black"
        ax.text(col, row, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(counts.shape[1]))
    ax.set_yticks(range(counts.shape[0]))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title("Confusion matrix (test set)")
    figure.colorbar(image, ax=ax, label="log(1 + count)")
    return _save(figure, path)


def plot_prediction_grid(
    test: MnistSplit, predicted: np.ndarray, path: Path, columns: int = 10, rows: int = 6
) -> Path:
    """A grid of test digits with the predicted label; mistakes in red, shown first."""
    plt = _pyplot()
    wrong = np.flatnonzero(predicted != test.labels)
    right = np.flatnonzero(predicted == test.labels)
    cells = columns * rows
    half = min(len(wrong), cells // 2)
    chosen = np.concatenate([wrong[:half], right[: cells - half]])
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.25))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, index in zip(np.ravel(axes), chosen, strict=False):
        mistake = predicted[index] != test.labels[index]
        ax.imshow(test.images[index], cmap="gray")
        label = (
            f"{predicted[index]} (true {test.labels[index]})" if mistake else str(predicted[index])
        )
        ax.set_title(label, fontsize=8, color="red" if mistake else "black")
    figure.suptitle(f"Test predictions: {len(wrong)} mistakes of {len(test)} (red)")
    return _save(figure, path)


def write_training_plots(
    out_dir: Path,
    history: dict[str, list[float]],
    matrix: Sequence[Sequence[int]],
    test: MnistSplit,
    predicted: np.ndarray,
) -> tuple[Path, ...]:
    """Write all three PNGs; raises ImportError when matplotlib is missing."""
    return (
        plot_history(history, out_dir / "training_curves.png"),
        plot_confusion(matrix, out_dir / "confusion_matrix.png"),
        plot_prediction_grid(test, predicted, out_dir / "predictions.png"),
    )
