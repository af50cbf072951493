"""Models we did not make: a zoo of MNIST classifiers read right through the public API.

Each model is trained here, briefly, on an MNIST subset with its own input convention
(layout, range, polarity, quantisation, softmax or logits) and converted with our
converter. Its **own accuracy** is measured by feeding the TFLite file the way it was
trained — independent code below, straight to the interpreter. ``DigitClassifier`` must
come within 0.5 points of it with no options (the probe), with options, and with
metadata embedded by our converter.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from edge_runtime import DigitClassifier
from edge_runtime.errors import ContractWarning

pytestmark = pytest.mark.tf

TRAIN_IMAGES = 20_000
TEST_IMAGES = 2_000
TOLERANCE_PP = 0.5
MNIST_MEAN, MNIST_STD = 0.1307 * 255, 0.3081 * 255  # torchvision's Normalize, on 0-255


@dataclass(frozen=True)
class Spec:
    """One zoo model: how it is built, what it was trained on, how it is converted."""

    layout: tuple[int, ...]  # Keras input shape without batch
    range: tuple[float, float] | None = (0, 1)  # real values of pixel 0 and 255
    standardise: bool = False  # (p - MNIST_MEAN) / MNIST_STD instead of a range
    invert: bool = False
    cnn: bool = False
    softmax: bool = True
    format: str = "float32"
    io_type: str = "float32"
    cast_uint8: bool = False  # a uint8 input cast to float inside the model

    def transform(self, pixels: np.ndarray) -> np.ndarray:
        x = pixels.astype(np.float32)
        if self.invert:
            x = 255.0 - x
        if self.standardise:
            x = (x - MNIST_MEAN) / MNIST_STD
        elif self.range is not None and not self.cast_uint8:
            low, high = self.range
            x = x * ((high - low) / 255.0) + low
        return x.reshape((len(x), *self.layout))


ZOO = {
    "dense-28x28-0to255": Spec((28, 28), range=(0, 255)),
    "dense-784-0to1": Spec((784,)),
    "cnn-28x28x1-0to1": Spec((28, 28, 1), cnn=True),
    "dense-28x28-minus1to1": Spec((28, 28), range=(-1, 1)),
    "dense-784-mean-std": Spec((784,), range=None, standardise=True),
    "cnn-int8-io-0to1": Spec((28, 28, 1), cnn=True, format="int8", io_type="int8"),
    "dense-uint8-io-0to1": Spec((784,), format="int8", io_type="uint8"),
    "dense-dynamic-0to1": Spec((28, 28), format="dynamic"),
    "dense-logits-0to1": Spec((784,), softmax=False),
    "dense-inverted-0to1": Spec((28, 28), invert=True),
    "dense-int8-logits-minus1to1": Spec(
        (28, 28), range=(-1, 1), softmax=False, format="int8", io_type="int8"
    ),
    "dense-casts-uint8": Spec((28, 28), range=(0, 255), cast_uint8=True),
}


def _build(spec: Spec):
    import keras

    inputs = keras.Input(spec.layout, dtype="uint8" if spec.cast_uint8 else "float32")
    x = inputs
    if spec.range == (0, 255):  # raw pixels in, scaled inside (casts uint8 inputs to float)
        x = keras.layers.Rescaling(1 / 255)(x)
    if spec.cnn:
        if len(spec.layout) == 2:
            x = keras.layers.Reshape((28, 28, 1))(x)
        x = keras.layers.Conv2D(8, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax" if spec.softmax else None)(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not spec.softmax),
        metrics=["accuracy"],
    )
    return model


def _own_accuracy(blob: bytes, spec: Spec, images: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the file fed exactly as it was trained (independent of edge_runtime)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=blob)
    detail = interpreter.get_input_details()[0]
    x = spec.transform(images)
    scale, zero_point = detail["quantization"]
    if np.issubdtype(detail["dtype"], np.integer):
        if scale:
            x = np.rint(x / scale) + zero_point
        info = np.iinfo(detail["dtype"])
        x = np.clip(x, info.min, info.max)
    x = x.astype(detail["dtype"]).reshape((len(x), *detail["shape"][1:]))
    interpreter.resize_tensor_input(detail["index"], [len(x), *detail["shape"][1:]])
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    scores = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return float(np.mean(scores.argmax(axis=1) == labels))


@dataclass(frozen=True)
class ZooModel:
    spec: Spec
    plain: bytes  # as the converter produced it, no metadata
    with_metadata: bytes
    own_accuracy: float
    keras_path: object  # the trained Keras model, saved


@pytest.fixture(scope="session")
def zoo(mnist, tmp_path_factory):
    """``zoo(name)`` → the trained, converted model (built on first use, then cached)."""
    pytest.importorskip("keras", reason="needs the 'train' extra (TensorFlow + Keras)")
    import keras

    from converter.convert import convert
    from converter.embed import embed_metadata
    from edge_runtime.interpreter import TFLiteModel
    from edge_runtime.probe import ContractOptions

    built: dict[str, ZooModel] = {}
    folder = tmp_path_factory.mktemp("zoo")
    train = mnist.train.head(TRAIN_IMAGES)
    test = mnist.test.head(TEST_IMAGES)

    def get(name: str) -> ZooModel:
        if name in built:
            return built[name]
        spec = ZOO[name]
        keras.utils.set_random_seed(7)
        model = _build(spec)
        x = spec.transform(train.images)
        if spec.cast_uint8:
            x = x.astype(np.uint8)
        model.fit(x, train.labels, epochs=3, batch_size=64, verbose=0)
        calibration = spec.transform(mnist.train.images[-300:])
        blob = convert(model, spec.format, calibration=calibration, io_type=spec.io_type)
        truth = ContractOptions(input_range=_input_range(spec), invert=spec.invert)
        contract = TFLiteModel(blob, options=truth).contract
        with_metadata = embed_metadata(blob, contract, {"zoo": name})
        own = _own_accuracy(blob, spec, test.images, test.labels)
        keras_path = folder / f"{name}.keras"
        model.save(keras_path)
        built[name] = ZooModel(spec, blob, with_metadata, own, keras_path)
        return built[name]

    return get


def _input_range(spec: Spec) -> tuple[float, float]:
    if spec.standardise:
        return (-MNIST_MEAN / MNIST_STD, (255 - MNIST_MEAN) / MNIST_STD)
    return spec.range or (0, 255)


def _accuracy(classifier: DigitClassifier, test) -> float:
    predictions = classifier.classify_batch(list(test.images))
    return float(np.mean([p.digit == y for p, y in zip(predictions, test.labels, strict=True)]))


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model_reads_right_with_no_options_options_and_metadata(zoo, mnist, name) -> None:
    entry = zoo(name)
    test = mnist.test.head(TEST_IMAGES)
    assert entry.own_accuracy > 0.8, f"{name} trained badly: {entry.own_accuracy:.2%}"

    with pytest.warns(ContractWarning, match="Pin it") as caught:
        probed = DigitClassifier(entry.plain)
    assert probed.contract.source == "probe" and "--input-range" in str(caught[0].message)
    assert probed.contract.invert == entry.spec.invert
    probed_accuracy = _accuracy(probed, test)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ContractWarning)  # pinned or declared: no warning
        pinned = DigitClassifier(
            entry.plain, input_range=_input_range(entry.spec), invert=entry.spec.invert
        )
        declared = DigitClassifier(entry.with_metadata)
    assert pinned.contract.source == "options" and declared.contract.source == "metadata"
    assert declared.contract.output == ("probabilities" if entry.spec.softmax else "logits")

    round_one = DigitClassifier(entry.plain, input_range=(0, 255), invert=False)
    polarity = " inverted" if probed.contract.invert else ""
    print(  # the README's zoo table: pytest tests/test_zoo.py -s -q | grep '^|'
        f"\n| {name} | {entry.own_accuracy:.2%} | {probed_accuracy:.2%} | "
        f"{_accuracy(round_one, test):.2%} | {probed.contract.pixels.label()}{polarity} |"
    )
    for how, accuracy in (
        ("no options", probed_accuracy),
        ("options", _accuracy(pinned, test)),
        ("metadata", _accuracy(declared, test)),
    ):
        gap = (entry.own_accuracy - accuracy) * 100
        assert abs(gap) <= TOLERANCE_PP, (
            f"{name} with {how}: {accuracy:.2%} vs its own {entry.own_accuracy:.2%}"
        )


def test_a_wrong_pinned_convention_is_obeyed_not_overruled(zoo, mnist) -> None:
    """Options win over the probe and the metadata: a wrong pin gives wrong readings."""
    entry = zoo("dense-28x28-0to255")  # divides by 255 itself
    test = mnist.test.head(500)
    for model in (entry.plain, entry.with_metadata):
        wrong = DigitClassifier(model, input_range=(0, 1), invert=False)
        assert wrong.contract.source == "options"
        assert _accuracy(wrong, test) < 0.5 < entry.own_accuracy


def _without_our_entry(blob: bytes) -> bytes:
    """``blob`` keeping only the standard TFLITE_METADATA (what other tools write)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(blob, 0))
    model.metadata = [m for m in model.metadata if m.name.decode() != "digits_edge"]
    builder = flatbuffers.Builder(len(blob) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    zip_start = blob.find(b"PK\x03\x04", len(blob) - 4096)  # keep the appended labels.txt
    return bytes(builder.Output()) + blob[zip_start:]


def test_standard_tflite_metadata_alone_gives_range_and_labels(zoo, mnist) -> None:
    """A model with only standard metadata: its NormalizationOptions and label file are read."""
    from edge_runtime.interpreter import TFLiteModel

    entry = zoo("dense-28x28-minus1to1")
    standard_only = _without_our_entry(entry.with_metadata)
    model = TFLiteModel(standard_only)
    assert model.metadata.kind == "tflite"
    assert model.metadata.pixels.label() == "-1:1" and model.metadata.labels == tuple("0123456789")
    # The standard schema has no polarity: only that is probed, over the declared range.
    assert model.contract.source == "probe" and "-1:1" in model.contract.detail
    assert model.contract.pixels.label() == "-1:1" and model.contract.invert is False
    test = mnist.test.head(TEST_IMAGES)
    with pytest.warns(ContractWarning):
        accuracy = _accuracy(DigitClassifier(standard_only), test)
    assert abs(accuracy - entry.own_accuracy) * 100 <= TOLERANCE_PP


def test_digits_convert_writes_the_models_own_convention(zoo, mnist, tmp_path) -> None:
    """A Keras model trained on 0-1 converted with --input-range 0:1: calibrated, validated
    and described with that convention, so it reads right with no options."""
    from click.testing import CliRunner

    from converter.cli import main as convert_cli

    entry = zoo("cnn-28x28x1-0to1")
    result = CliRunner().invoke(
        convert_cli,
        [str(entry.keras_path), "-q", "int8", "--input-range", "0:1", "--out", str(tmp_path)],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "convert_report.json").read_text())
    int8 = report["results"][0]
    assert report["keras_accuracy"] > 0.9 and int8["accuracy_drop_pp"] <= 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContractWarning)
        classifier = DigitClassifier(tmp_path / "digits_int8.tflite")
    assert classifier.contract.source == "metadata" and classifier.contract.pixels.label() == "0:1"
    test = mnist.test.head(TEST_IMAGES)
    assert _accuracy(classifier, test) > entry.own_accuracy - TOLERANCE_PP / 100 - 0.01
