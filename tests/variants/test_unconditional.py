"""Vanilla GAN, LSGAN, WGAN (clipping), WGAN-GP, BEGAN, f-GAN and SNGAN: each trains with fit,
saves and loads with its own parameters, and refuses invalid ones at construction."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import TINY_CONFIG, blob_images
from ganzoo import zoo


def config_for(variant, objective=None, discriminator=None, generator=None, shape=(16, 16, 3)):
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(variant=variant, objective=objective or {}, image_shape=list(shape),
                  name=f"tiny-{variant}", ema_decay=None)
    config["discriminator"] = discriminator or config["discriminator"]
    config["generator"] = generator or config["generator"]
    for role in ("d", "g"):  # each variant's published optimizer
        config["optimizers"].pop(role)
    return config


CASES = {
    "vanilla": config_for("vanilla", {"d_steps": 2, "generator_loss": "minimax"},
                          {"type": "mlp", "hidden": [32, 16]},
                          {"type": "mlp", "hidden": [16, 32]}),
    "lsgan": config_for("lsgan", {"a": 0.0, "b": 1.0, "c": 1.0}),
    "wgan": config_for("wgan", {"n_critic": 2, "clip_value": 0.01}),
    "wgan-gp": config_for("wgan-gp", {"n_critic": 2, "gp_weight": 10.0},
                          {"type": "dcgan", "base_filters": 4, "norm": "layer"}),
    "began": config_for("began", {"gamma": 0.5, "lambda_k": 0.01},
                        {"type": "autoencoder", "base_filters": 4, "embedding_dim": 8}),
    "fgan": config_for("fgan", {"divergence": "squared_hellinger"}),
    "sngan": dict(config_for("sngan", {"n_dis": 2},
                             {"type": "dcgan", "base_filters": 4, "norm": "none",
                              "spectral_norm": True}), augment="color,translation,cutout"),
}


def _data():
    images = blob_images(16).astype(np.float32) / 127.5 - 1
    return tf.data.Dataset.from_tensor_slices(images).batch(8).repeat()


@pytest.mark.parametrize("variant", sorted(CASES))
def test_fit_changes_both_networks_and_round_trips(variant, tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build(CASES[variant], seed=0)
    g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    history = model.fit(_data(), steps_per_epoch=2, epochs=1, verbose=0)
    assert set(history.history) == set(model.loss_names)
    assert all(np.isfinite(v).all() for v in history.history.values())
    for before, network in ((g_before, model.generator), (d_before, model.discriminator)):
        assert any(not np.array_equal(b, w.numpy())
                   for b, w in zip(before, network.trainable_weights))
    path = tmp_path / f"{variant}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    def own(config):  # the variant's parameters (the sub-models are compared by outputs)
        return {k: v for k, v in config.items() if k not in ("generator", "discriminator")}

    assert own(loaded.get_config()) == own(model.get_config())
    assert loaded.train_steps == 2 and int(loaded.d_optimizer.iterations) == \
        int(model.d_optimizer.iterations)
    z = model.latent_noise(3, seed=0)
    np.testing.assert_array_equal(loaded.generate(z), model.generate(z))


def test_critic_variants_take_n_critic_steps_per_generator_step():
    model = zoo.build(CASES["wgan-gp"], seed=0)
    model.fit(_data(), steps_per_epoch=3, epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == 3 and int(model.d_optimizer.iterations) == 6


def test_fresh_real_batches_give_each_critic_step_its_own_real_minibatch():
    config = json.loads(json.dumps(CASES["wgan"]))
    config["objective"]["fresh_real_batches"] = True
    model = zoo.build(config, seed=0)
    assert model.real_batches_per_step == 2
    seen = []
    step = model.discriminator_step
    model.discriminator_step = lambda real, *a, **k: (seen.append(real.numpy()), step(real, *a, **k))[1]
    model.compile(run_eagerly=True)  # the spy records concrete tensors
    images = blob_images(16).astype(np.float32) / 127.5 - 1
    model.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), steps_per_epoch=1, epochs=1,
              verbose=0)
    assert len(seen) == 2 and all(s.shape == (4, 16, 16, 3) for s in seen)
    np.testing.assert_array_equal(np.concatenate(seen), images[:8])  # two different halves
    with pytest.raises(ValueError, match="multiple of 2 images.*got a batch of 7"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(7), steps_per_epoch=1,
                  epochs=1, verbose=0)


def test_fresh_real_batches_check_runs_in_the_compiled_train_step():
    config = json.loads(json.dumps(CASES["wgan"]))
    config["objective"]["fresh_real_batches"] = True
    model = zoo.build(config, seed=0)  # graph mode, as fit runs it
    images = blob_images(14).astype(np.float32) / 127.5 - 1
    with pytest.raises(ValueError, match="multiple of 2 images.*got a batch of 7"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(7, drop_remainder=True),
                  steps_per_epoch=1, epochs=1, verbose=0)
    unknown = tf.data.Dataset.from_tensor_slices(images).batch(7)  # batch size unknown
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of 2 images"):
        model.fit(unknown, steps_per_epoch=1, epochs=1, verbose=0)


def test_critic_boost_schedule_of_the_wgan_authors_code():
    config = json.loads(json.dumps(CASES["wgan"]))
    config["objective"].update(n_critic=1, n_critic_boost=3, boost_first_steps=2, boost_every=4)
    model = zoo.build(config, seed=0)
    assert [int(model.critic_iterations(t)) for t in range(9)] == [3, 3, 1, 1, 3, 1, 1, 1, 3]
    model.fit(_data(), steps_per_epoch=5, epochs=1, verbose=0)
    # generator steps 0..4 were preceded by 3 + 3 + 1 + 1 + 3 critic steps
    assert int(model.g_optimizer.iterations) == 5 and int(model.d_optimizer.iterations) == 11
    for weight in model.discriminator.trainable_weights:  # clipping ran after each of them
        assert np.abs(weight.numpy()).max() <= 0.01 + 1e-7


def test_published_default_optimizers():
    wgan, gp = zoo.build(CASES["wgan"]), zoo.build(CASES["wgan-gp"])
    assert type(wgan.d_optimizer).__name__ == "RMSprop"
    assert wgan.d_optimizer.learning_rate.numpy() == pytest.approx(5e-5)
    assert gp.d_optimizer.beta_1 == 0.0 and gp.d_optimizer.beta_2 == 0.9
    assert gp.g_optimizer.learning_rate.numpy() == pytest.approx(1e-4)


def test_weight_clipping_keeps_every_critic_weight_within_c():
    model = zoo.build(CASES["wgan"], seed=0)
    for weight in model.discriminator.trainable_weights:
        weight.assign(weight * 100.0)  # far outside the box before training
    model.fit(_data(), steps_per_epoch=1, epochs=1, verbose=0)
    for weight in model.discriminator.trainable_weights:
        assert np.abs(weight.numpy()).max() <= 0.01 + 1e-7


def test_began_k_stays_in_unit_interval_and_is_restored(tmp_path):
    model = zoo.build(CASES["began"], seed=0)
    history = model.fit(_data(), steps_per_epoch=3, epochs=1, verbose=0)
    k = float(model.k.numpy())
    assert 0.0 <= k <= 1.0 and 0.0 <= history.history["k"][-1] <= 1.0
    model.k.assign(0.37)
    model.save(tmp_path / "b.keras")
    assert float(keras.models.load_model(tmp_path / "b.keras").k.numpy()) == pytest.approx(0.37)


@pytest.mark.parametrize("variant,objective,message", [
    ("wgan-gp", {"gp_weight": -1.0}, "gp_weight"),
    ("wgan-gp", {"n_critic": 0}, "n_critic must be a positive integer"),
    ("wgan", {"clip_value": 0.0}, "clip_value must be positive"),
    ("wgan", {"n_critic_boost": 0}, "n_critic_boost must be a positive integer"),
    ("wgan", {"boost_first_steps": -1}, "boost_first_steps must be >= 0"),
    ("fgan", {"divergence": "wasserstein"}, "Unknown f-divergence"),
    ("began", {"gamma": 0.0}, "gamma must be in"),
    ("began", {"lambda_k": -0.1}, "lambda_k must be >= 0"),
    ("vanilla", {"d_steps": 0}, "d_steps must be a positive integer"),
    ("vanilla", {"generator_loss": "hinge"}, "generator_loss must be one of"),
    ("lsgan", {"a": 1.0, "b": 1.0}, "different targets"),
])
def test_invalid_objective_parameters(variant, objective, message):
    config = json.loads(json.dumps(CASES[variant]))
    config["objective"].update(objective)
    with pytest.raises(ValueError, match=message):
        zoo.build(config)


def test_sngan_discriminator_steps_reduce_the_hinge_loss():
    from ganzoo import losses

    model = zoo.build(CASES["sngan"], seed=0)
    real = tf.constant(blob_images(8).astype(np.float32) / 127.5 - 1)
    fake = model.generator(model.latent_noise(8, seed=1))

    def hinge():  # D's loss on a fixed real and generated batch, no augmentation
        return float(losses.hinge_discriminator(model.discriminator(real),
                                                model.discriminator(fake)))

    before = hinge()
    for _ in range(30):
        model.discriminator_step(real, lambda r, f, *_: losses.hinge_discriminator(r, f))
    assert hinge() < before - 0.1
