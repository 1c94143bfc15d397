"""Nearest-neighbour memorisation check: the search against brute force, the distribution
comparison on generators that copy and that do not, and the report end to end."""
import numpy as np
import pytest
from PIL import Image

from conftest import blob_images
from ganzoo.metrics.memorization import (compare_distributions, memorization_report,
                                         nearest_neighbours)


def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(0)
    queries, references = rng.normal(size=(37, 5)), rng.normal(size=(23, 5))
    distances, indices = nearest_neighbours(queries, references, chunk=8)
    brute = np.linalg.norm(queries[:, None] - references[None], axis=2)
    np.testing.assert_array_equal(indices, brute.argmin(axis=1))
    np.testing.assert_allclose(distances, brute.min(axis=1), rtol=1e-9)
    with pytest.raises(ValueError, match="same d"):
        nearest_neighbours(queries, references[:, :3])


def test_a_copying_generator_is_flagged_and_a_generalising_one_is_not():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(500, 8))
    held_out = rng.normal(size=(200, 8))
    held_distances, _ = nearest_neighbours(held_out, train)
    copies = train[rng.integers(0, 500, 200)] + rng.normal(scale=0.01, size=(200, 8))
    copied = compare_distributions(nearest_neighbours(copies, train)[0], held_distances)
    assert copied["samples_below_held_out_q01"] > 0.95 and copied["median_ratio"] < 0.1
    fresh = compare_distributions(nearest_neighbours(rng.normal(size=(200, 8)), train)[0],
                                  held_distances)
    assert fresh["samples_below_held_out_q05"] < 0.15 and 0.8 < fresh["median_ratio"] < 1.25


def test_report_end_to_end_pairs_samples_with_their_nearest_training_images(tiny_model,
                                                                              tmp_path,
                                                                              monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "faces"
    folder.mkdir()
    for i, image in enumerate(blob_images(20)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")

    def extract(images):  # a stand-in for Inception: mean colour per 4x4 cell, 2048 wide
        import tensorflow as tf

        pooled = tf.nn.avg_pool2d(tf.cast(images, tf.float32), 4, 4, "VALID")
        return tf.pad(tf.reshape(pooled, (len(images), -1)), [[0, 0], [0, 2048 - 48]])

    report, samples, nearest = memorization_report(
        tiny_model, folder, num_samples=6, num_held_out=2, extract=extract, pairs=3)
    assert report["n_train"] == 18 and report["n_samples"] == 6 and report["n_held_out"] == 2
    assert samples.shape == nearest.shape == (3, 16, 16, 3)
    np.testing.assert_array_equal(samples, tiny_model.sample(3, seed=0))
    # Each shown neighbour is the training image nearest to its sample in feature space.
    train = np.stack([np.asarray(Image.open(folder / f"{i:02d}.png")) for i in range(18)])
    train_features = extract(train).numpy()
    for sample, neighbour in zip(samples, nearest):
        distances = np.linalg.norm(train_features - extract(sample[None]).numpy(), axis=1)
        np.testing.assert_array_equal(neighbour, train[distances.argmin()])
