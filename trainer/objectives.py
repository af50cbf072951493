"""Losses and metrics of training (Keras ops; import Keras only when called).

Predictions are probabilities: ``(N, 10)`` from a plain model, or ``(N, K, 10)``
from a model with ``K`` branches (:func:`trainer.models.build_training_model`).
Targets are integer labels ``(N,)``.
"""

from __future__ import annotations

from typing import Any

from trainer.mnist_files import NUM_CLASSES

_EPSILON = 1e-7


def _per_branch(y_pred: Any) -> Any:
    """``(N, K, 10)`` view of either prediction shape."""
    from keras import ops

    return y_pred if len(y_pred.shape) == 3 else ops.expand_dims(y_pred, 1)


def cross_entropy(label_smoothing: float = 0.0) -> Any:
    """Cross-entropy against integer labels, averaged over branches, with label smoothing.

    Each branch is scored on its own, so an ensemble's members learn
    independently rather than as one wide net tuned for the average.
    """
    from keras import ops

    def loss(y_true: Any, y_pred: Any) -> Any:
        probabilities = ops.clip(_per_branch(y_pred), _EPSILON, 1.0)
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        target = ops.expand_dims(ops.one_hot(labels, NUM_CLASSES), 1)
        target = target * (1.0 - label_smoothing) + label_smoothing / NUM_CLASSES
        return -ops.mean(ops.sum(target * ops.log(probabilities), axis=-1), axis=-1)

    return loss


def ensemble_accuracy() -> Any:
    """Accuracy of the branches' averaged probabilities (what the saved model outputs)."""
    import keras
    from keras import ops

    def accuracy(y_true: Any, y_pred: Any) -> Any:
        predicted = ops.argmax(ops.mean(_per_branch(y_pred), axis=1), axis=-1)
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        return ops.cast(ops.equal(ops.cast(predicted, "int32"), labels), "float32")

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")
