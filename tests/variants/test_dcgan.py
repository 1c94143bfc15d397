"""DCGAN's train_step: both networks learn, each update lowers its own loss."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import blob_images
from ganzoo import losses, zoo


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def test_fit_changes_both_networks_and_reports_finite_losses(tiny_model, tiny_dataset):
    g_before, d_before = _weights(tiny_model.generator), _weights(tiny_model.discriminator)
    history = tiny_model.fit(tiny_dataset, steps_per_epoch=3, epochs=1, verbose=0)
    for name in ("d_loss", "g_loss"):
        assert np.isfinite(history.history[name]).all()
    for before, network in ((g_before, tiny_model.generator),
                            (d_before, tiny_model.discriminator)):
        changed = [not np.array_equal(b, a) for b, a in zip(before, _weights(network))]
        assert all(changed)
    assert tiny_model.train_steps == 3
    assert int(tiny_model.d_optimizer.iterations) == 3


def _losses_on_fixed_batch(model, real, z):
    fake = model.generator(z, training=True)
    real_logits = model.discriminator(real, training=True)
    fake_logits = model.discriminator(fake, training=True)
    return (float(losses.discriminator_cross_entropy(real_logits, fake_logits)),
            float(losses.generator_non_saturating(fake_logits)))


def _model_with_learning_rates(tiny_config, d_lr, g_lr):
    tiny_config["ema_decay"] = None
    tiny_config["optimizers"]["d"]["config"]["learning_rate"] = d_lr
    tiny_config["optimizers"]["g"]["config"]["learning_rate"] = g_lr
    keras.utils.set_random_seed(0)
    return zoo.build(tiny_config, seed=3)


@pytest.mark.parametrize("trained,d_lr,g_lr,min_drop", [
    ("discriminator", 1e-3, 0.0, 0.1),  # only D moves: D's loss on a fixed batch falls
    ("generator", 0.0, 1e-3, 0.01),     # only G moves: G's loss on fixed noise falls
])
def test_each_update_lowers_its_own_loss(tiny_config, trained, d_lr, g_lr, min_drop):
    model = _model_with_learning_rates(tiny_config, d_lr=d_lr, g_lr=g_lr)
    real = blob_images(16).astype(np.float32) / 127.5 - 1
    z = model.latent_noise(16, seed=0)
    index = 0 if trained == "discriminator" else 1
    before = _losses_on_fixed_batch(model, real, z)[index]
    model.fit(tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=25, verbose=0)
    after = _losses_on_fixed_batch(model, real, z)[index]
    assert after < before - min_drop


def test_fit_accepts_labelled_batches(tiny_model):
    images = blob_images(16).astype(np.float32) / 127.5 - 1
    labels = np.arange(16) % 2
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    history = tiny_model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
