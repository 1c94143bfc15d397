"""pix2pix: the Eq. 4 losses by hand, training steps, the L1-only baseline."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import PIX2PIX, blob_faces, build_translator
from ganzoo import losses, pairs


def test_pix2pix_losses_match_hand_computed_values():
    real, fake = np.array([2.0, -1.0]), np.array([0.5, -3.0])
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    expected_d = 0.5 * (softplus(-real).mean() + softplus(fake).mean())
    assert float(losses.pix2pix_discriminator(real, fake)) == pytest.approx(expected_d, 1e-6)
    translated, target = np.array([0.2, -0.4, 1.0]), np.array([0.0, 0.0, 0.5])
    l1 = (0.2 + 0.4 + 0.5) / 3
    total, gan_term, l1_term = losses.pix2pix_generator(fake, translated, target)
    assert float(gan_term) == pytest.approx(softplus(-fake).mean(), 1e-6)
    assert float(l1_term) == pytest.approx(l1, 1e-6)
    assert float(total) == pytest.approx(softplus(-fake).mean() + 100.0 * l1, 1e-5)
    halved, _, _ = losses.pix2pix_generator(fake, translated, target, 10.0, gan_weight=0.5)
    assert float(halved) == pytest.approx(0.5 * softplus(-fake).mean() + 10.0 * l1, 1e-5)


def test_pix2pix_train_step_reports_the_eq4_sum():
    """train_step's G loss is losses.pix2pix_generator: total = cGAN + lambda * L1."""
    model = build_translator(PIX2PIX)
    edges, faces_b = tf.constant(blob_faces(2)[..., :1]), tf.constant(blob_faces(2, seed=1))
    logs = model.train_step((edges, faces_b))
    assert float(logs["g_loss"]) == pytest.approx(
        float(logs["g_gan"]) + 100.0 * float(logs["g_l1"]), rel=1e-5)


def test_pix2pix_steps_change_weights_and_reduce_l1():
    model = build_translator(PIX2PIX)
    targets = blob_faces(8)
    sources = pairs.xdog_edges(targets)
    dataset = tf.data.Dataset.from_tensors((sources, targets)).repeat()
    before = [w.numpy().copy() for w in model.generator.weights]
    history = model.fit(dataset, steps_per_epoch=20, epochs=1, verbose=0)
    assert model.train_steps == 20
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.generator.weights))
    l1_now = float(losses.mean_absolute_error(model.generator(sources), targets))
    fresh = build_translator(PIX2PIX, seed=0)
    l1_before = float(losses.mean_absolute_error(fresh.generator(sources), targets))
    assert l1_now < 0.7 * l1_before
    assert np.isfinite(history.history["d_loss"][-1])


def test_l1_only_baseline_trains_no_discriminator():
    model = build_translator({**PIX2PIX, "objective": {"gan_weight": 0.0}})
    targets = blob_faces(4)
    dataset = tf.data.Dataset.from_tensors((pairs.xdog_edges(targets), targets)).repeat()
    d_before = [w.numpy().copy() for w in model.discriminator.weights]
    logs = model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0).history
    assert logs["g_loss"][-1] == pytest.approx(100.0 * logs["g_l1"][-1], rel=1e-5)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(d_before,
                                                             model.discriminator.weights))
