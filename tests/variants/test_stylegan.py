"""StyleGAN2 at small scale: each part against hand-computed values (demodulation, R1, style
mixing, w-space truncation), then a training step, and the save / load round trip."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses, zoo
from ganzoo.nets.stylegan import ModulatedConv2D, MinibatchStddev, num_style_layers

STYLEGAN = {
    "name": "tiny-stylegan", "variant": "stylegan", "latent_dim": 8,
    "image_shape": [16, 16, 3],
    "generator": {"type": "stylegan", "base_filters": 4, "max_filters": 8, "w_dim": 8,
                  "mapping_layers": 2},
    "discriminator": {"type": "stylegan", "base_filters": 4, "max_filters": 8},
    "objective": {"r1_gamma": 1.0, "r1_interval": 2, "style_mixing": 0.9},
    "ema_decay": 0.9,
    "optimizers": {name: {"class_name": "Adam", "config": {"learning_rate": 0.002,
                                                           "beta_1": 0.0, "beta_2": 0.99}}
                   for name in ("d", "g")},
    "training": {"batch_size": 8},
}


@pytest.fixture
def model():
    keras.utils.set_random_seed(0)
    return zoo.build(json.loads(json.dumps(STYLEGAN)), seed=0)


def _layer(filters=5, demodulate=True):
    layer = ModulatedConv2D(filters, 3, 0, demodulate=demodulate, noise=False,
                            activation=None)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32")
    ws = np.random.default_rng(1).normal(size=(2, 1, 7)).astype("float32")
    layer([x, ws])
    layer.bias.assign(np.zeros(filters))
    return layer, x, ws


def test_demodulation_normalises_each_output_filter():
    layer, x, ws = _layer()
    styles = layer.styles(ws).numpy()  # (batch, in)
    kernel = layer.kernel.numpy() * layer.weight_gain  # (3, 3, in, out)
    # Eq. 1 (modulate) and Eq. 3 (demodulate) written per sample, by hand.
    modulated = kernel[None] * styles[:, None, None, :, None]  # (batch, 3, 3, in, out)
    demodulated = modulated / np.sqrt((modulated ** 2).sum(axis=(1, 2, 3), keepdims=True)
                                      + 1e-8)
    np.testing.assert_allclose((demodulated ** 2).sum(axis=(1, 2, 3)), 1.0, rtol=1e-5)
    expected = np.stack([tf.nn.conv2d(x[i:i + 1], demodulated[i], 1, "SAME").numpy()[0]
                         for i in range(2)])
    np.testing.assert_allclose(layer([x, ws]).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_to_rgb_modulates_without_demodulating():
    layer, x, ws = _layer(3, demodulate=False)
    styles = layer.styles(ws).numpy()
    kernel = layer.kernel.numpy() * layer.weight_gain
    expected = np.stack([tf.nn.conv2d(x[i:i + 1], kernel * styles[i][None, None, :, None], 1,
                                      "SAME").numpy()[0] for i in range(2)])
    np.testing.assert_allclose(layer([x, ws]).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_noise_is_random_in_training_and_fixed_when_sampling():
    layer = ModulatedConv2D(2, 3, 0)
    x, ws = np.ones((1, 4, 4, 2), np.float32), np.ones((1, 1, 3), np.float32)
    layer([x, ws])
    layer.noise_strength.assign(1.0)
    np.testing.assert_array_equal(layer([x, ws]).numpy(), layer([x, ws]).numpy())
    assert not np.array_equal(layer([x, ws], training=True).numpy(),
                              layer([x, ws], training=True).numpy())


def test_r1_matches_an_explicit_gradient_norm():
    # D(x) = sum(a * x^2) / 2: grad_x D = a * x, so R1 = mean over the batch of sum (a x)^2.
    a = np.random.default_rng(0).uniform(0.5, 2.0, (4, 4, 1)).astype("float32")
    x = np.random.default_rng(1).normal(size=(3, 4, 4, 1)).astype("float32")

    def discriminator(images):
        return tf.reduce_sum(a * images ** 2, axis=[1, 2, 3]) / 2

    expected = np.mean(np.sum((a * x) ** 2, axis=(1, 2, 3)))
    np.testing.assert_allclose(float(losses.r1_penalty(discriminator, x)), expected, rtol=1e-5)


def test_style_mixing_switches_styles_at_the_chosen_layer(model):
    w_first, w_second = np.zeros((2, 8), np.float32), np.ones((2, 8), np.float32)
    ws = model.mix(w_first, w_second, 3).numpy()
    assert ws.shape == (2, num_style_layers((16, 16, 3)), 8) == (2, 6, 8)
    assert (ws[:, :3] == 0).all() and (ws[:, 3:] == 1).all()
    # A mixed image of z with itself is z's image; with another z it is neither.
    z = model.latent_noise(2, seed=0)
    grid = model.mix_styles(z, z, crossover=3)
    plain = model.generate(z)
    np.testing.assert_array_equal(grid[0, 0], plain[0])
    np.testing.assert_array_equal(grid[1, 1], plain[1])
    assert not np.array_equal(grid[0, 1], plain[0]) and not np.array_equal(grid[0, 1], plain[1])
    with pytest.raises(ValueError, match=r"crossover must be in \[1, 5\]"):
        model.mix_styles(z, z, crossover=6)


def test_truncation_moves_w_toward_its_average(model):
    model.generator.get_layer("w_avg").w_avg.assign(np.full(8, 0.3, np.float32))
    model.sampling_generator.get_layer("w_avg").w_avg.assign(np.full(8, 0.3, np.float32))
    z = model.latent_noise(4, seed=1)
    w = model.ws_for(z, 1.0).numpy()
    half = model.ws_for(z, 0.5).numpy()
    np.testing.assert_allclose(half, 0.3 + 0.5 * (w - 0.3), rtol=1e-5, atol=1e-6)
    at_mean = model.sample(4, seed=1, truncation=0.0)
    assert all(np.array_equal(image, at_mean[0]) for image in at_mean)  # psi 0: one image
    np.testing.assert_array_equal(model.sample(4, seed=1, truncation=1.0), model.sample(4, seed=1))
    with pytest.raises(ValueError, match=r"psi in w' = w_avg.*\[0, 1\]"):
        model.sample(2, truncation=1.5)


def test_minibatch_stddev_appends_the_group_spread():
    x = np.random.default_rng(0).normal(size=(4, 2, 2, 3)).astype("float32")
    out = MinibatchStddev(group_size=4)(x).numpy()
    assert out.shape == (4, 2, 2, 4)
    np.testing.assert_allclose(out[..., 3], np.sqrt(x.var(axis=0) + 1e-8).mean(), rtol=1e-5)


def test_a_training_step_moves_weights_tracks_w_and_applies_r1(model):
    images = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 3)).astype("float32")
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(images, batch_size=8, epochs=1, verbose=0)  # steps 0 and 1
    assert any(not np.allclose(a, b.numpy())
               for a, b in zip(before, model.generator.trainable_weights))
    assert np.abs(model.generator.get_layer("w_avg").w_avg.numpy()).sum() > 0
    assert history.history["r1"][-1] > 0  # step 0 ran the lazy R1 phase
    assert model.train_steps == 2


def test_r1_step_lowers_the_penalty_with_the_generator_fixed(model):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 3)).astype("float32")
    model.augment_policy = ()
    start = float(losses.r1_penalty(lambda x: model.discriminate(x, training=True), images))
    for _ in range(5):
        model.r1_step(tf.constant(images))
    end = float(losses.r1_penalty(lambda x: model.discriminate(x, training=True), images))
    assert end < start


def test_save_load_round_trip_is_bit_exact(model, tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 3)).astype("float32")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    for truncation in (None, 0.7):
        np.testing.assert_array_equal(model.sample(6, seed=2, truncation=truncation),
                                      restored.sample(6, seed=2, truncation=truncation))
    model.shipped_network().save_weights(tmp_path / "g.weights.h5")
    shipped = zoo.build(json.loads(json.dumps(dict(STYLEGAN, ema_decay=None))), compile=False)
    shipped.shipped_network().load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_array_equal(model.sample(6, seed=2), shipped.sample(6, seed=2))


def test_export_serves_plain_and_truncated_images(model, tmp_path):
    import ganzoo

    path = ganzoo.export(model, tmp_path / "models")
    assert path == tmp_path / "models" / "tiny-stylegan" / "1"
    loaded = tf.saved_model.load(str(path))
    z = model.latent_noise(3, seed=4)
    plain = loaded.signatures["serving_default"](z=tf.constant(z))["images"].numpy()
    np.testing.assert_array_equal(plain, model.generate(z))
    truncated = loaded.signatures["truncated"](z=tf.constant(z),
                                               truncation=tf.constant(0.5))["images"]
    np.testing.assert_array_equal(truncated.numpy(), model.generate(z, truncation=0.5))


def test_onnx_and_litert_exports_serve_the_models_images(model, tmp_path):
    import onnxruntime
    from ai_edge_litert.interpreter import Interpreter

    import ganzoo

    z = model.latent_noise(3, seed=4)
    want = model.generate(z).astype(int)
    onnx_path = ganzoo.export(model, tmp_path, format="onnx")
    got = onnxruntime.InferenceSession(str(onnx_path)).run(None, {"z": z})[0]
    assert np.abs(got.astype(int) - want).max() <= 1
    litert_path = ganzoo.export(model, tmp_path, format="litert")
    got = Interpreter(model_path=str(litert_path)).get_signature_runner()(z=z)["images"]
    assert np.abs(got.astype(int) - want).max() <= 1
