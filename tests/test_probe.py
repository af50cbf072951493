"""The contract decision: options, then metadata, then the probe, then the default."""

from __future__ import annotations

import numpy as np

from edge_runtime.contract import InputContract, PixelRange
from edge_runtime.metadata import ModelMetadata
from edge_runtime.probe import (
    FIRST_STAGE,
    ContractOptions,
    candidates,
    choose_contract,
    reference_digits,
)

BASE = InputContract(shape=(1, 28, 28), dtype="float32")


def _reader(accuracy_by_convention: dict[tuple[str, bool], float]):
    """A fake model reading the reference digits right at a given rate per convention."""
    _, labels = reference_digits()
    calls = []

    def predict(contract: InputContract, pixels: np.ndarray) -> np.ndarray:
        calls.append(contract)
        rate = accuracy_by_convention.get((contract.pixels.label(), contract.invert), 0.1)
        truth = labels[:FIRST_STAGE] if len(pixels) == FIRST_STAGE else labels[FIRST_STAGE:]
        right = np.arange(len(truth)) < round(rate * len(truth))
        guesses = np.where(right, truth, (truth + 1) % 10)
        return np.eye(10, dtype=np.float32)[guesses]

    return predict, calls


def test_reference_digits_are_real_mnist_balanced() -> None:
    images, labels = reference_digits()
    assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [100] * 10
    assert np.bincount(labels[:FIRST_STAGE], minlength=10).tolist() == [10] * 10
    assert images[:, 0, :].max() < 50 < images.max()  # white ink on a black border


def test_probe_keeps_the_convention_that_reads_the_digits() -> None:
    predict, calls = _reader({("-1:1", True): 0.97})
    chosen = choose_contract(BASE, ModelMetadata(), ContractOptions(), predict)
    assert (chosen.pixels.label(), chosen.invert, chosen.source) == ("-1:1", True, "probe")
    assert len(calls) == 8 and "97/100" in chosen.detail


def test_close_calls_are_settled_on_all_reference_digits() -> None:
    # A ReLU net reads 0-255 nearly as well as the 0-1 it was trained on: both read all 1000.
    predict, calls = _reader({("0:1", False): 0.96, ("0:255", False): 0.95})
    chosen = choose_contract(BASE, ModelMetadata(), ContractOptions(), predict)
    assert chosen.pixels.label() == "0:1" and "960/1000" in chosen.detail
    assert len(calls) == 8 + 2
    # Too close to call on 100 digits, clear on 1000: the better one wins.
    predict, _ = _reader({("0:1", False): 0.93, ("-1:1", False): 0.95})
    chosen = choose_contract(BASE, ModelMetadata(), ContractOptions(), predict)
    assert chosen.pixels.label() == "-1:1" and "950/1000" in chosen.detail
    # An exact tie goes to the earlier, more common convention.
    predict, _ = _reader({("0:1", False): 0.95, ("0:255", False): 0.95})
    chosen = choose_contract(BASE, ModelMetadata(), ContractOptions(), predict)
    assert chosen.pixels.label() == "0:1"
    # A model dividing by 255 itself reads 0-1 inputs as noise: decided on 100 digits.
    predict, calls = _reader({("0:1", False): 0.12, ("0:255", False): 0.99})
    chosen = choose_contract(BASE, ModelMetadata(), ContractOptions(), predict)
    assert chosen.pixels.label() == "0:255" and len(calls) == 8


def test_options_beat_metadata_and_pinned_fields_are_not_probed() -> None:
    metadata = ModelMetadata(kind="digits-edge", pixels=PixelRange.from_range(0, 255), invert=False)
    predict, calls = _reader({})
    from_metadata = choose_contract(BASE, metadata, ContractOptions(), predict)
    assert from_metadata.source == "metadata" and not calls
    pinned = choose_contract(BASE, metadata, ContractOptions(input_range=(0, 1)), predict)
    assert pinned.source == "options" and pinned.pixels.label() == "0:1" and not calls
    # Standard metadata has no polarity: only that is probed, over the declared range.
    predict, calls = _reader({("0:1", True): 0.9})
    standard = ModelMetadata(kind="tflite", pixels=PixelRange.from_range(0, 1))
    chosen = choose_contract(BASE, standard, ContractOptions(), predict)
    assert chosen.invert is True and len(calls) == 2
    default = choose_contract(BASE, ModelMetadata(), ContractOptions(probe=False), predict)
    assert default.source == "default" and default.pixels.label() == "0:255"


def test_a_quantised_input_declares_its_range_by_its_calibration() -> None:
    int8 = InputContract(shape=(1, 784), dtype="int8", input_scale=2 / 255, input_zero_point=0)
    assert [c.pixels.label() for c in candidates(int8, None, None)] == ["-1:1", "-1:1"]
    unit = InputContract(shape=(1, 784), dtype="int8", input_scale=1 / 255, input_zero_point=-128)
    assert candidates(unit, None, None)[0].pixels.label() == "0:1"
    odd = InputContract(shape=(1, 784), dtype="uint8", input_scale=0.5 / 255, input_zero_point=0)
    assert candidates(odd, None, None)[0].pixels.label() == "0:0.5"  # its own range
    cast = InputContract(shape=(1, 28, 28), dtype="uint8")  # casts raw pixels inside
    assert [c.pixels.label() for c in candidates(cast, None, None)] == ["0:255", "0:255"]
