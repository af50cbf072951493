"""The input contract: pixels → model input (range, polarity, quantisation, layout), outputs."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.contract import (
    InputContract,
    PixelRange,
    encode,
    pixel_table,
    row_to_probabilities,
    scores_to_probabilities,
)


def _contract(**fields) -> InputContract:
    return InputContract(**{"shape": (1, 28, 28), "dtype": "float32", **fields})


def test_ranges_map_pixel_0_and_255_to_their_ends() -> None:
    for low, high in ((0, 1), (0, 255), (-1, 1)):
        table = pixel_table(_contract(pixels=PixelRange.from_range(low, high)))
        assert table.dtype == np.float32
        assert table[0] == pytest.approx(low) and table[255] == pytest.approx(high)
    standard = PixelRange.from_mean_std(33.3, 78.6)
    assert pixel_table(_contract(pixels=standard))[0] == pytest.approx(-33.3 / 78.6, rel=1e-6)
    assert standard.mean_std == pytest.approx((33.3, 78.6))
    assert PixelRange.from_range(-1, 1).label() == "-1:1"
    assert PixelRange.from_range(0, 1).label() == "0:1"


def test_inverted_polarity_flips_pixels_before_scaling() -> None:
    table = pixel_table(_contract(pixels=PixelRange.from_range(0, 1), invert=True))
    assert table[0] == pytest.approx(1.0) and table[255] == pytest.approx(0.0)


def test_quantised_input_goes_through_the_models_own_scale_and_zero_point() -> None:
    # The int8 model: trained on 0-1, input scale 1/255, zero point -128.
    int8 = _contract(
        dtype="int8", pixels=PixelRange.from_range(0, 1), input_scale=1 / 255, input_zero_point=-128
    )
    table = pixel_table(int8)
    assert table.dtype == np.int8
    assert table.tolist() == [p - 128 for p in range(256)]
    # q = clip(round(x / 0.5) - 10, -128, 127) with x = pixel (0-255).
    coarse = _contract(dtype="int8", input_scale=0.5, input_zero_point=-10)
    assert pixel_table(coarse)[[0, 3, 68, 255]].tolist() == [-10, -4, 126, 127]
    # Our own uint8 models (0-255, scale 1, zero point 0): pixels go in unchanged.
    assert pixel_table(_contract(dtype="uint8", input_scale=1.0)) is None


def test_encode_reshapes_to_the_model_layout_and_accepts_float_pixels() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    for shape in ((1, 28, 28), (1, 28, 28, 1), (1, 784)):
        contract = _contract(shape=shape, pixels=PixelRange.from_range(0, 1))
        encoded = encode(pixels, contract, pixel_table(contract))
        assert encoded.shape == (3, *shape[1:]) and encoded.dtype == np.float32
        np.testing.assert_allclose(encoded.reshape(3, 28, 28), pixels / 255.0, rtol=1e-6)
        from_float = encode(pixels.astype(np.float32), contract, None)
        np.testing.assert_allclose(from_float, encoded, rtol=1e-6)
    quantised = _contract(
        dtype="int8", pixels=PixelRange.from_range(0, 1), input_scale=1 / 255, input_zero_point=-128
    )
    np.testing.assert_array_equal(
        encode(pixels.astype(np.float32), quantised, None),
        encode(pixels, quantised, pixel_table(quantised)),
    )


def test_probabilities_are_renormalised_and_logits_softmaxed() -> None:
    softmaxish = np.array([[0.1, 0.7, 0.21]], np.float32)
    assert scores_to_probabilities(softmaxish, "probabilities").sum() == pytest.approx(1.0)
    sigmoid = np.array([[0.9, 0.9, 0.2]], np.float32)
    np.testing.assert_allclose(
        scores_to_probabilities(sigmoid, "probabilities"), [[0.45] * 2 + [0.1]]
    )
    logits = np.array([[2.0, 1.0, 3.0]], np.float32)  # all positive, still logits
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(scores_to_probabilities(logits, "logits"), expected, rtol=1e-5)
    # Quantised logits: the output scale matters for a softmax and is applied.
    np.testing.assert_allclose(
        scores_to_probabilities(logits / 0.5, "logits", scale=0.5), expected, rtol=1e-5
    )
    np.testing.assert_allclose(row_to_probabilities([4.0, 2.0, 6.0], "logits", 0.5), expected[0])
    np.testing.assert_allclose(
        row_to_probabilities([9.0, 9.0, 2.0], "probabilities", 1), [0.45] * 2 + [0.1]
    )


def test_summary_and_pin_hint_name_the_convention() -> None:
    contract = _contract(pixels=PixelRange.from_range(0, 1), invert=True, output="logits")
    assert contract.summary() == "pixels 0:1, black on white, float32 [1,28,28] → logits"
    hint = contract.pin_hint()
    assert "input_range=(0, 1), invert=True" in hint and "--input-range 0:1 --invert-input" in hint
