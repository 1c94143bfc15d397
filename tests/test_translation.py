"""The ImageTranslator base: data checks, translate(), side_by_side, TF Serving export."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import CYCLEGAN, PIX2PIX, blob_faces, blob_images, build_translator
from ganzoo.export import export


def test_wrong_data_gives_a_clear_error():
    model = build_translator(PIX2PIX)
    dataset = tf.data.Dataset.from_tensors((blob_faces(4), blob_faces(4))).repeat()  # RGB as edges
    with pytest.raises(ValueError, match=r"takes edges images of shape \(16, 16, 1\)"):
        model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)


@pytest.mark.parametrize("config,objective,message", [
    (PIX2PIX, {"l1_weight": -1.0}, "l1_weight"),
    (CYCLEGAN, {"cycle_weight": -1.0}, "cycle_weight"),
    (CYCLEGAN, {"pool_size": -5}, "pool_size"),
])
def test_invalid_objective_parameters(config, objective, message):
    with pytest.raises(ValueError, match=message):
        build_translator({**config, "objective": objective})


def test_translate_accepts_any_size_dtype_and_count():
    model = build_translator(PIX2PIX)
    gray = np.random.default_rng(0).integers(0, 256, (20, 30), np.uint8)
    one = model.translate(gray)
    assert one.shape == (20, 30, 3) and one.dtype == np.uint8
    batch = model.translate(np.zeros((3, 16, 16, 1), np.float32))
    assert batch.shape == (3, 16, 16, 3)
    mixed = model.translate([gray, np.zeros((40, 40, 4), np.uint8)])  # RGBA: alpha dropped
    assert [m.shape for m in mixed] == [(20, 30, 3), (40, 40, 3)]
    # uint8 and the same picture as floats in [0, 1] translate identically
    np.testing.assert_array_equal(model.translate(gray[:16, :16]),
                                  model.translate(gray[:16, :16].astype(np.float32) / 255))
    # deterministic (dropout is off at inference)
    np.testing.assert_array_equal(model.translate(gray), one)


@pytest.mark.parametrize("call,message", [
    (lambda m: m.translate(np.zeros((20, 20), np.uint8), resize_to_fit=False),
     "pass resize_to_fit=True"),
    (lambda m: m.translate(np.full((16, 16), 3.0)), r"Float images must hold values in \[0, 1\]"),
    (lambda m: m.translate(np.zeros((16, 16, 3)), direction="b2a"), "translates one way only"),
    (lambda m: m.translate([]), "empty list"),
    (lambda m: m.translate(np.zeros((0, 0, 3), np.uint8)), "at least 1x1 pixels"),
    (lambda m: m.translate(np.zeros((2, 16, 16, 5), np.uint8)), "got 5"),
])
def test_translate_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(build_translator(PIX2PIX))


def test_side_by_side_rows():
    model = build_translator(PIX2PIX)
    edges = np.zeros((2, 16, 16, 1), np.uint8)
    rows = model.side_by_side(edges, targets=blob_images(2))
    assert rows.shape == (2, 16, 48, 3) and rows.dtype == np.uint8


@pytest.mark.parametrize("config,directions", [(PIX2PIX, ["serving_default"]),
                                               (CYCLEGAN, ["serving_default", "a2b", "b2a"])])
def test_export_serves_the_same_images(tmp_path, config, directions):
    model = build_translator(config)
    path = export(model, tmp_path)
    served = tf.saved_model.load(str(path))
    assert sorted(served.signatures) == sorted(directions)
    channels = config["source_shape"][-1]
    images = blob_images(3, channels=channels)
    for name in directions:
        signature = served.signatures[name]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.dtype == tf.uint8
        result = signature(images=tf.constant(images))["images"].numpy()
        direction = "a2b" if name == "serving_default" else name
        np.testing.assert_array_equal(result, model.translate(images, direction))
    # A request of the wrong image size is refused by name, not inside a convolution.
    with pytest.raises(tf.errors.InvalidArgumentError, match="input images must have shape"):
        served.signatures["serving_default"](images=tf.zeros([1, 8, 8, channels], tf.uint8))
