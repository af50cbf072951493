"""The hard-page figures of ``benchmarks.reading``: pages, their digits, and the model's ceiling
(fast tier: stand-in digits and a stand-in classifier, no model, no MNIST)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from benchmarks.reading import synthetic_figures
from benchmarks.synthetic import hard_pages, hard_set


def _digits(count: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in 28×28 "digits": a bar whose length says its label."""
    images = np.zeros((count, 28, 28), np.uint8)
    labels = np.arange(count) % 10
    for i, label in enumerate(labels):
        images[i, 4 : 6 + 2 * int(label), 10:16] = 255
    return images, labels


def test_hard_pages_give_the_digits_behind_each_text_and_match_hard_set() -> None:
    images, labels = _digits()
    pages = list(hard_pages(images, labels, 6, seed=3))
    assert all(text == "".join(str(labels[i]) for i in picked) for _, text, picked in pages)
    same = hard_set(images, labels, 6, seed=3)
    assert [t for _, t in same] == [t for _, t, _ in pages]
    assert all(np.array_equal(a, b) for (a, _), (b, _, _) in zip(same, pages, strict=True))


def _key(page: np.ndarray) -> str:
    return hashlib.md5(page.tobytes()).hexdigest()


@dataclass
class _Reading:
    text: str


class _Oracle:
    """Reads every page right (it was told the answers), except pages holding a 7."""

    def __init__(self, answers: dict[bytes, str]) -> None:
        self.answers = answers

    def read_number(self, page: np.ndarray) -> _Reading:
        text = self.answers[_key(page)]
        return _Reading(text.replace("7", "1"))


def test_the_mnist_form_ceiling_counts_pages_whose_digits_the_model_reads_right(
    monkeypatch,
) -> None:
    from benchmarks import synthetic

    monkeypatch.setattr(synthetic, "HARD_CASES", ("shadow",))  # one single case: a short run
    images, labels = _digits()
    answers = {}
    for seed, cases in ((2026, None), (7, ()), (2027, ("shadow",))):
        for page, text, _ in hard_pages(images, labels, 8, seed, cases):
            answers[_key(page)] = text
    # A model that reads every 3 as 8 in MNIST form can only get the pages without a 3; the
    # stand-in pipeline fails the pages with a 7.
    misread = np.where(labels == 3, 8, labels)
    figures = synthetic_figures(_Oracle(answers), images, labels, 8, misread)
    mixed = [text for _, text, _ in hard_pages(images, labels, 8, 2026, None)]
    assert figures["mixed"]["numbers_exact"] == round(sum("7" not in t for t in mixed) / 8, 4)
    assert figures["mixed"]["mnist_form_exact"] == round(sum("3" not in t for t in mixed) / 8, 4)
    assert set(figures) == {"mixed", "plain", "shadow"}
    without = synthetic_figures(_Oracle(answers), images, labels, 8)
    assert "mnist_form_exact" not in without["mixed"]
