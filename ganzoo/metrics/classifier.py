"""Classifier scores: does a generator draw the classes it should?

An *evaluator* is a small CNN trained by ganzoo on a dataset's real training split and shipped
in `pretrained/evaluators/<name>.weights.h5`, described by `<name>.json` beside it (classes,
training command, test accuracy, SHA-256). With it:

- conditional models: label accuracy, the share of samples drawn for class k that the
  evaluator classifies as k (labels drawn uniformly, seeded);
- unconditional models: the class histogram of the samples, its entropy (log 10 = all ten
  classes equally often) and the rarest class's share (mode collapse shows as a class near 0).

The network takes uint8 images, as `model.generate` returns them, and rescales inside, so the
same evaluator scores real files and samples identically.
"""
import json

import numpy as np

from ganzoo.files import atomic_write_text, sha256_of
from ganzoo.registry import shipped_folder, shipped_json, shipped_names, verified_shipped_file

EVALUATOR_DIR = "evaluators"


class EvaluatorError(FileNotFoundError):
    """An evaluator is unknown, missing or does not match its recorded SHA-256."""


def classifier_network(image_shape, num_classes, base_filters=32, dropout=0.3):
    """uint8 images (batch, H, W, C) -> class logits: conv-BN-ReLU + max-pool stages that
    double the width until the map is at most 8x8, then a 128-unit dense layer. Small on
    purpose: it is trained and run on CPUs, and hair colour or digit identity needs no more."""
    import keras
    from keras import layers

    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(images)
    size, width = image_shape[0], base_filters
    while True:
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if size <= 8:
            break
        x = layers.MaxPooling2D(2)(x)
        size, width = size // 2, width * 2
    x = layers.Flatten()(x)  # keeps where strokes are: average pooling lost ~5% on MNIST
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(x)
    return keras.Model(images, logits, name="evaluator")


def _evaluator_dir():
    return shipped_folder(EVALUATOR_DIR)


def list_evaluators():
    return shipped_names(EVALUATOR_DIR)


def evaluator_config(name):
    return shipped_json(EVALUATOR_DIR, name, EvaluatorError, "evaluator")


def load_evaluator(name):
    """(keras.Model, config) of a shipped evaluator, weights checked by SHA-256."""
    config = evaluator_config(name)
    path = verified_shipped_file(EVALUATOR_DIR, config["weights"]["file"],
                                 config["weights"]["sha256"], EvaluatorError,
                                 "Evaluator weights")
    network = classifier_network(config["image_shape"], len(config["class_names"]))
    network.load_weights(path)
    return network, config


def predict_classes(network, images, batch_size=500):
    """Predicted class of each uint8 image."""
    images = np.asarray(images)
    return np.concatenate([
        np.argmax(network(images[i:i + batch_size], training=False).numpy(), -1)
        for i in range(0, len(images), batch_size)
    ]) if len(images) else np.zeros(0, np.int64)


def class_histogram_scores(predicted, num_classes):
    """Share of each class, its entropy (nats) and the rarest class's share."""
    shares = np.bincount(predicted, minlength=num_classes) / max(len(predicted), 1)
    nonzero = shares[shares > 0]
    return {"class_shares": [round(float(s), 4) for s in shares],
            "class_entropy": round(float(-(nonzero * np.log(nonzero)).sum()), 4),
            "max_class_entropy": round(float(np.log(num_classes)), 4),
            "min_class_share": round(float(shares.min()), 4)}


def classifier_scores(model, evaluator, num=10_000, seed=0, batch_size=500):
    """Label accuracy (conditional models) or class-histogram scores (unconditional ones) of
    `num` samples, judged by the named evaluator (or a (network, config) pair)."""
    import keras

    network, config = load_evaluator(evaluator) if isinstance(evaluator, str) else evaluator
    num_classes = len(config["class_names"])
    if tuple(config["image_shape"]) != tuple(model.image_shape):
        raise ValueError(f"Evaluator {config['name']!r} takes {config['image_shape']} images; "
                         f"{model.name} makes {list(model.image_shape)}.")
    if model.conditional and model.num_classes != num_classes:
        raise ValueError(f"Evaluator {config['name']!r} knows {num_classes} classes; "
                         f"{model.name} has {model.num_classes}.")
    noise = model.latent_noise(num, seed)
    labels = model.drawn_labels(num, seed) if model.conditional else None  # sample's own
    predicted, bar = [], keras.utils.Progbar(num, unit_name="classified samples")
    for start in range(0, num, batch_size):
        chunk = slice(start, start + batch_size)
        images = model.generate(noise[chunk], None if labels is None else labels[chunk],
                                batch_size=batch_size)
        predicted.append(predict_classes(network, images, batch_size))
        bar.add(len(images))
    predicted = np.concatenate(predicted)
    result = {"evaluator": config["name"], "n_fake": num, "seed": seed,
              "evaluator_test_accuracy": config.get("test_accuracy")}
    result.update(class_histogram_scores(predicted, num_classes))
    if labels is not None:
        hits = predicted == labels
        result["label_accuracy"] = round(float(hits.mean()), 4)
        result["per_class_accuracy"] = [round(float(hits[labels == k].mean()), 4)
                                        for k in range(num_classes)]
    return result


def train_evaluator(source, image_shape, num_classes, *, epochs=3, batch_size=128, seed=0,
                    split="train", test_split="test", labels=None, classes=None, verbose=2):
    """Trains `classifier_network` on a labelled ganzoo.data source; returns
    (network, test accuracy). Light augmentation (shifts) keeps it from keying on pixel
    positions that a generator might render slightly differently."""
    import keras

    from ganzoo.data import image_dataset

    keras.utils.set_random_seed(seed)

    def uint8(images, targets):
        import tensorflow as tf

        return tf.cast(tf.round((images + 1.0) * 127.5), tf.uint8), targets

    def load(which, shuffle):
        dataset = image_dataset(source, image_shape, batch_size, shuffle=shuffle, seed=seed,
                                with_labels=True, split=which, labels=labels,
                                classes=classes)
        return dataset.map(uint8)

    network = classifier_network(image_shape, num_classes)
    # Black fill: a reflected border would add stroke fragments never seen at test time.
    augment = keras.Sequential([keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant",
                                                               seed=seed)])
    inputs = keras.Input(tuple(image_shape), dtype="uint8")
    trainer = keras.Model(inputs, network(augment(keras.ops.cast(inputs, "float32"))))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    trainer.fit(load(split, True), epochs=epochs, verbose=verbose, shuffle=False)
    accuracy, _ = test_scores(network, load(test_split, False), num_classes)
    return network, accuracy


def test_scores(network, dataset, num_classes):
    """(accuracy, confusion matrix [true][predicted]) over every (uint8 images, labels) batch.
    Counted here rather than with `network.evaluate`: on a dataset of unknown cardinality
    (folders and zips, after `ignore_errors`) Keras 3.15's evaluate reported 71.5% where the
    same batches score 83.5%."""
    confusion = np.zeros((num_classes, num_classes), np.int64)
    for images, labels in dataset:
        np.add.at(confusion, (labels.numpy(), predict_classes(network, images.numpy())), 1)
    return float(np.trace(confusion) / max(confusion.sum(), 1)), confusion


FASHION_CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                   "sneaker", "bag", "ankle-boot"]
HAIR_CLASSES = ["blonde", "brown", "black", "blue", "pink"]  # the five most common tags
# How each shipped evaluator is trained (`python -m ganzoo.metrics.classifier NAME DATA`).
RECIPES = {
    "mnist": {"image_shape": [28, 28, 1], "class_names": [str(d) for d in range(10)],
              "split": "train", "test_split": "test", "epochs": 2,
              "data": "mnist.npz (x_train/y_train; tested on x_test/y_test)"},
    "fashion-mnist": {"image_shape": [28, 28, 1], "class_names": FASHION_CLASSES,
                      "split": "train", "test_split": "test", "epochs": 3,
                      "data": "fashion_mnist.npz (x_train/y_train; tested on x_test/y_test)"},
    "anime-hair": {"image_shape": [64, 64, 3], "class_names": HAIR_CLASSES,
                   "split": "train[:90%]", "test_split": "train[90%:]", "epochs": 12,
                   "labels": "anime_faces_tags.csv:hair",
                   "data": "anime_faces_64.zip faces tagged with the five most common hair "
                           "colours in anime_faces_tags.csv (7,683; the last 10% by file name "
                           "held out for the test accuracy)"},
}


def publish_evaluator(name, data, epochs=None, seed=0, labels=None):
    """Trains the RECIPES[name] evaluator on `data` and writes it into pretrained/evaluators/
    (weights via temp file + rename, then the JSON with its SHA-256)."""
    import os
    import time


    recipe = RECIPES[name]
    epochs = epochs or recipe["epochs"]
    if recipe.get("labels") and not labels:
        raise ValueError(f"Evaluator {name!r} needs --labels (e.g. {recipe['labels']}).")
    start = time.time()
    network, accuracy = train_evaluator(
        data, recipe["image_shape"], len(recipe["class_names"]), epochs=epochs, seed=seed,
        split=recipe["split"], test_split=recipe["test_split"],
        labels=labels, classes=recipe["class_names"] if labels else None)
    folder = _evaluator_dir()
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.weights.h5"
    tmp = folder / f".{os.getpid()}.tmp.weights.h5"
    network.save_weights(tmp)
    os.replace(tmp, weights)
    config = {"name": name, "image_shape": recipe["image_shape"],
              "class_names": recipe["class_names"], "data": recipe["data"],
              "split": recipe["split"], "test_split": recipe["test_split"],
              "test_accuracy": round(accuracy, 4), "epochs": epochs, "seed": seed,
              "train_seconds": round(time.time() - start, 1),
              "command": f"python -m ganzoo.metrics.classifier {name} DATA"
                         + (f" --labels {recipe['labels']}" if labels else ""),
              "weights": {"file": weights.name, "sha256": sha256_of(weights)}}
    atomic_write_text(folder / f"{name}.json", json.dumps(config, indent=2) + "\n")
    return config


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train and ship a ganzoo evaluator.")
    parser.add_argument("name", choices=sorted(RECIPES))
    parser.add_argument("data", help="the dataset file (see RECIPES[name]['data'])")
    parser.add_argument("--labels", help="tags.csv:column for folder/zip data")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(publish_evaluator(args.name, args.data, args.epochs, args.seed,
                                       args.labels), indent=2))
