"""Evaluator classifiers and the scores built on them."""
import json
import math

import keras
import numpy as np
import pytest

from ganzoo import zoo
from ganzoo.metrics import classifier, evaluate_quality
from ganzoo.metrics.classifier import (class_histogram_scores, classifier_network,
                                       classifier_scores, train_evaluator)
from variants.test_conditional import conditional_config


def test_histogram_scores_by_hand():
    scores = class_histogram_scores(np.array([0, 0, 0, 1]), 3)
    assert scores["class_shares"] == [0.75, 0.25, 0.0]
    assert scores["min_class_share"] == 0.0
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert scores["class_entropy"] == pytest.approx(expected, abs=1e-4)
    assert scores["max_class_entropy"] == pytest.approx(math.log(3), abs=1e-4)


@pytest.mark.parametrize("shape", [(28, 28, 1), (64, 64, 3)])
def test_network_takes_uint8_images(shape):
    network = classifier_network(shape, 5, base_filters=4)
    logits = network(np.zeros((2, *shape), np.uint8))
    assert logits.shape == (2, 5)


def stripes(n, seed):
    """Two classes a small CNN separates easily: horizontal vs vertical bright bars."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.uint8)
    labels = rng.integers(0, 2, n)
    for image, label, at in zip(images, labels, rng.integers(4, 20, n)):
        if label:
            image[:, at:at + 4] = 255
        else:
            image[at:at + 4] = 255
    return images, labels


def test_train_evaluator_learns_a_separable_toy_set(tmp_path):
    x_train, y_train = stripes(256, 0)
    x_test, y_test = stripes(64, 1)
    np.savez(tmp_path / "toy.npz", x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    _, accuracy = train_evaluator(tmp_path / "toy.npz", (28, 28, 1), 2, epochs=4,
                                  batch_size=32, verbose=0)
    assert accuracy > 0.9


class ConstantClassifier:
    """Says "class 0" for every image."""

    def __call__(self, images, training=False):
        logits = np.zeros((len(images), 3), np.float32)
        logits[:, 0] = 1.0
        return keras.ops.convert_to_tensor(logits)


def test_label_accuracy_counts_agreement_with_the_requested_labels():
    model = zoo.build(conditional_config("cgan"), seed=0)
    config = {"name": "constant", "image_shape": [16, 16, 3], "class_names": ["a", "b", "c"]}
    scores = classifier_scores(model, (ConstantClassifier(), config), num=300, seed=5,
                               batch_size=128)
    labels = model.drawn_labels(300, seed=5)  # the labels sample(300, seed=5) draws
    assert scores["label_accuracy"] == pytest.approx(np.mean(labels == 0), abs=1e-4)
    assert scores["per_class_accuracy"] == [1.0, 0.0, 0.0]
    assert scores["class_shares"] == [1.0, 0.0, 0.0]  # total collapse, seen by the histogram


def test_unconditional_models_get_a_histogram_only(tiny_model):
    config = {"name": "constant", "image_shape": [16, 16, 3], "class_names": ["a", "b", "c"]}
    scores = classifier_scores(tiny_model, (ConstantClassifier(), config), num=20)
    assert "label_accuracy" not in scores and scores["min_class_share"] == 0.0


def test_mismatched_evaluator_is_refused(tiny_model):
    config = {"name": "mnist-like", "image_shape": [28, 28, 1], "class_names": list("ab")}
    with pytest.raises(ValueError, match="takes \\[28, 28, 1\\] images"):
        classifier_scores(tiny_model, (ConstantClassifier(), config), num=4)


def test_evaluate_quality_errors(tiny_model, tmp_zoo):
    with pytest.raises(ValueError, match="Unknown metric.*'is'"):
        evaluate_quality(tiny_model, "x", metrics=["fid", "is"])
    with pytest.raises(ValueError, match="compare with real images"):
        evaluate_quality(tiny_model, metrics=["kid"])
    with pytest.raises(ValueError, match="names no evaluator"):
        evaluate_quality(tiny_model, metrics=["cls"])
    with pytest.raises(classifier.EvaluatorError, match="No evaluator named 'nope'"):
        evaluate_quality(tiny_model, metrics=["cls"], evaluator="nope")
    with pytest.raises(ValueError, match="either real data .* or a reference"):
        evaluate_quality(tiny_model, "faces.zip", metrics=["fid"], reference="anime-faces")


def test_shipped_evaluators_are_verified_and_accurate():
    names = classifier.list_evaluators()
    assert {"mnist", "fashion-mnist"} <= set(names)
    for name in names:
        network, config = classifier.load_evaluator(name)
        assert config["test_accuracy"] >= {"mnist": 0.98, "fashion-mnist": 0.88}.get(name, 0.6)
        assert network.output_shape == (None, len(config["class_names"]))
        assert json.dumps(config)  # plain JSON


def test_evaluation_scores_exactly_the_images_sample_returns():
    from ganzoo.metrics import generated_image_batches

    model = zoo.build(conditional_config("cgan"), seed=0)
    scored = np.concatenate(list(generated_image_batches(model, 10, batch_size=4, seed=3)))
    np.testing.assert_array_equal(scored, model.sample(10, seed=3))
    np.testing.assert_array_equal(model.drawn_labels(10, seed=3),
                                  np.random.default_rng(3).integers(0, 3, 10))
