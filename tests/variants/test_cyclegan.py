"""CycleGAN: losses by hand, the image pool, training, save/load, both directions."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import CYCLEGAN, blob_faces, blob_images, build_translator
from ganzoo import losses
from ganzoo.variants.cyclegan import ImagePool


def test_cyclegan_losses_match_hand_computed_values():
    real, fake = np.array([0.9, 0.2]), np.array([0.1, 0.6])
    expected_d = 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2)
    assert float(losses.cyclegan_discriminator(real, fake)) == pytest.approx(expected_d, 1e-6)
    assert float(losses.cyclegan_generator(fake)) == pytest.approx(np.mean((fake - 1) ** 2))


def test_cyclegan_total_generator_loss_is_the_papers_sum():
    model = build_translator(CYCLEGAN)
    a, b = tf.constant(blob_faces(2)), tf.constant(blob_faces(2, seed=1))
    logs = model.train_step((a, b))
    total = logs["g_gan"] + 10.0 * logs["cycle"] + 0.5 * 10.0 * logs["identity"]
    assert float(logs["g_loss"]) == pytest.approx(float(total), rel=1e-5)


def test_image_pool_fills_then_swaps_half_the_time():
    pool = ImagePool(2, (1, 1, 1))
    rng = np.random.default_rng(0)

    def query(images):
        n = len(images)
        return pool.query(tf.constant(images, tf.float32), tf.constant(rng.random(n) > 0.5),
                          tf.constant(rng.integers(0, 2, n), tf.int32))

    first = query(np.array([1.0, 2.0]).reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(first.numpy().ravel(), [1, 2])  # filling: returned as is
    assert int(pool.count.value) == 2
    fresh = np.arange(100, 300, dtype=np.float32)  # distinct: a swap returns another value
    returned = query(fresh.reshape(-1, 1, 1, 1)).numpy().ravel()
    swapped = returned != fresh
    assert 0.4 < swapped.mean() < 0.6  # each image goes to the history with probability 1/2
    assert set(returned[swapped]) <= {1.0, 2.0, *fresh}  # ... and an older image comes back
    assert all(returned[i] < fresh[i] for i in np.nonzero(swapped)[0])
    assert set(pool.images.numpy().ravel()) <= set(fresh)  # 1 and 2 were swapped out


def test_cyclegan_trains_and_round_trips_bit_exactly(tmp_path):
    """Steps reduce the cycle loss and decay the learning rate; the saved model (networks,
    optimizers, history pools) reloads bit-exactly; the shipped file holds both generators."""
    model = build_translator(CYCLEGAN)
    a, b = blob_faces(4), blob_faces(4, seed=1)[..., ::-1]
    dataset = tf.data.Dataset.from_tensors((a, b)).repeat()
    history = model.fit(dataset, steps_per_epoch=6, epochs=2, verbose=0)
    assert history.history["cycle"][-1] < history.history["cycle"][0]
    assert float(model.g_optimizer.learning_rate) == pytest.approx(0.0)  # 2 + 4 steps done
    assert int(model.pool_a.count.value) == 3
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    images = blob_images(3)
    for direction in ("a2b", "b2a"):
        np.testing.assert_array_equal(loaded.translate(images, direction),
                                      model.translate(images, direction))
    np.testing.assert_array_equal(loaded.pool_b.images.numpy(), model.pool_b.images.numpy())
    assert loaded.train_steps == 12
    model.shipped_network().save_weights(tmp_path / "g.weights.h5")
    fresh = build_translator(CYCLEGAN, seed=9)
    fresh.shipped_network().load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_array_equal(fresh.translate(images, "b2a"), model.translate(images, "b2a"))


def test_cyclegan_translates_both_ways_and_rejects_unknown_directions():
    model = build_translator(CYCLEGAN)
    image = blob_images(1)[0]
    assert model.translate(image, "b2a").shape == (16, 16, 3)
    assert not np.array_equal(model.translate(image, "a2b"), model.translate(image, "b2a"))
    with pytest.raises(ValueError, match=r"one of \['a2b', 'b2a'\]"):
        model.translate(image, "sideways")
