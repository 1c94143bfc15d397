"""CGAN and AC-GAN: training on labelled data, the conditional sampler, export with labels."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from conftest import TINY_CONFIG, blob_images
from ganzoo import losses, zoo
from ganzoo.export import rest_predict


def conditional_config(variant, net="dcgan"):
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(variant=variant, name=f"tiny-{variant}", num_classes=3,
                  class_names=["red", "green", "blue"])
    if net == "mlp":
        config["generator"] = {"type": "mlp", "hidden": [16]}
        config["discriminator"] = {"type": "mlp", "hidden": [16]}
    return config


def labelled_data():
    images = blob_images(24).astype(np.float32) / 127.5 - 1
    labels = np.arange(24) % 3
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(8).repeat()


@pytest.mark.parametrize("variant,net", [("cgan", "dcgan"), ("cgan", "mlp"),
                                         ("acgan", "dcgan")])
def test_fit_save_load(variant, net, tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build(conditional_config(variant, net), seed=0)
    history = model.fit(labelled_data(), steps_per_epoch=2, epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.class_names == ["red", "green", "blue"] and loaded.num_classes == 3
    np.testing.assert_array_equal(loaded.sample(6, labels="green", seed=1),
                                  model.sample(6, labels="green", seed=1))


def test_labels_are_parsed_and_honoured_by_construction():
    model = zoo.build(conditional_config("cgan"), seed=0)
    z = model.latent_noise(3, seed=0)
    by_name = model.generate(z, ["red", "green", "blue"])
    np.testing.assert_array_equal(by_name, model.generate(z, [0, 1, 2]))
    np.testing.assert_array_equal(model.generate(z, "blue"), model.generate(z, [2, 2, 2]))
    # The generator's input for label k differs from label j only in the label embedding:
    # same z with different labels gives different images, same label gives the same.
    assert not np.array_equal(model.generate(z, 0), model.generate(z, 1))
    same = model.sample(4, labels=[1, 1, 2, 0], seed=3)
    np.testing.assert_array_equal(same, model.sample(4, labels=[1, 1, 2, 0], seed=3))
    uniform = model.sample(30, seed=4)  # labels drawn from the seed
    np.testing.assert_array_equal(uniform, model.sample(30, seed=4))


@pytest.mark.parametrize("labels,message", [
    ([0, 1], "Got 2 labels for 3 samples"),
    (5, r"labels\[0\] is 5, which is not a class.*0\.\.2 or class names \(red, green, blue\)"),
    ("purple", r"labels\[0\] is 'purple'.*red, green, blue"),
    (True, r"labels\[0\] is True"),
    ([0, "green", -1], r"labels\[2\] is -1"),
    ([0, 2.5, 1], r"labels\[1\] is 2.5"),
])
def test_bad_labels(labels, message):
    model = zoo.build(conditional_config("acgan"), seed=0)
    with pytest.raises(ValueError, match=message):
        model.sample(3, labels=labels)


def test_class_indices_and_names_mix_as_the_readme_shows():
    model = zoo.build(conditional_config("cgan"), seed=0)
    np.testing.assert_array_equal(model.sample(3, labels=[0, "green", 2], seed=0),
                                  model.sample(3, labels=[0, 1, 2], seed=0))
    np.testing.assert_array_equal(model.sample(2, labels=np.array([2, 0]), seed=1),
                                  model.sample(2, labels=["blue", "red"], seed=1))


def test_non_finite_latent_vectors_are_refused(tiny_model):
    z = tiny_model.latent_noise(3, seed=0)
    z[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"z\[1, 4\] is nan: latent vectors must be finite"):
        tiny_model.generate(z)


def test_labels_for_unconditional_and_missing_labels(tiny_model):
    with pytest.raises(ValueError, match="unconditional: it takes no labels"):
        tiny_model.sample(2, labels=1)
    model = zoo.build(conditional_config("cgan"))
    with pytest.raises(ValueError, match="conditional: give labels"):
        model.generate(model.latent_noise(2, seed=0))
    unlabelled = tf.data.Dataset.from_tensor_slices(
        blob_images(8).astype(np.float32) / 127.5 - 1).batch(4)
    with pytest.raises(ValueError, match="fit it on \\(images, labels\\)"):
        model.fit(unlabelled, epochs=1, verbose=0)


def test_num_classes_must_match_the_variant(tiny_config):
    tiny_config["num_classes"] = 3
    with pytest.raises(ValueError, match="DCGAN is unconditional"):
        zoo.build(tiny_config)
    config = conditional_config("cgan")
    del config["num_classes"], config["class_names"]
    with pytest.raises(ValueError, match="CGAN is conditional: give num_classes"):
        zoo.build(config)


def test_grid_by_class_keeps_noise_down_columns():
    model = zoo.build(conditional_config("cgan"), seed=0)
    grid = model.sample_by_class(4, seed=2)
    assert grid.shape == (12, 16, 16, 3)
    z = model.latent_noise(4, seed=2)
    np.testing.assert_array_equal(grid[4:8], model.generate(z, "green"))


def test_export_with_labels_matches_the_model(tmp_path):
    model = zoo.build(conditional_config("acgan"), seed=0)
    path = ganzoo.export(model, tmp_path, name="tiny-acgan")
    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert sorted(signature.structured_input_signature[1]) == ["labels", "z"]
    z, labels = model.latent_noise(3, seed=0), np.array([2, 0, 1], np.int32)
    expected = model.generate(z, labels)
    np.testing.assert_array_equal(
        signature(z=tf.constant(z), labels=tf.constant(labels))["images"].numpy(), expected)
    body = {"instances": [{"z": row, "labels": int(label)}
                          for row, label in zip(z.tolist(), labels)]}
    assert rest_predict(signature, body)["predictions"] == expected.tolist()
    for bad, message in ((np.array([0, 3, 1]), r"class indices in \[0, 2\]"),
                         (np.array([0, 1]), "one label per z row")):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            signature(z=tf.constant(z), labels=tf.constant(bad, tf.int32))


def test_acgan_loss_terms_by_hand():
    import math

    real, fake = np.array([[1.0]]), np.array([[-2.0]])
    real_classes, fake_classes = np.array([[2.0, 0.0]]), np.array([[0.0, 1.0]])
    ce_real = -math.log(math.exp(2) / (math.exp(2) + 1))  # label 0
    ce_fake = -math.log(math.exp(1) / (1 + math.exp(1)))  # label 1
    bce = math.log(1 + math.exp(-1.0)) + math.log(1 + math.exp(-2.0))
    d = losses.acgan_discriminator(real, fake, real_classes, [0], fake_classes, [1])
    assert float(d) == pytest.approx(bce + ce_real + ce_fake, rel=1e-6)
    real_only = losses.acgan_discriminator(real, fake, real_classes, [0], fake_classes, [1],
                                           fake_class_weight=0.0)
    assert float(real_only) == pytest.approx(bce + ce_real, rel=1e-6)
    g = losses.acgan_generator(fake, fake_classes, [1])
    assert float(g) == pytest.approx(math.log(1 + math.exp(2.0)) + ce_fake, rel=1e-6)
    literal = losses.acgan_generator(fake, fake_classes, [1], non_saturating=False)
    assert float(literal) == pytest.approx(-math.log(1 + math.exp(-2.0)) + ce_fake, rel=1e-6)


def test_acgan_classifier_head_learns_a_separable_toy_set():
    keras.utils.set_random_seed(0)
    model = zoo.build(conditional_config("acgan"), seed=0)
    images = np.zeros((24, 16, 16, 3), np.float32) - 1
    labels = np.arange(24) % 3
    for i, label in enumerate(labels):  # class k lights up channel k
        images[i, ..., label] = 1.0
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(24).repeat()
    history = model.fit(data, steps_per_epoch=15, epochs=1, verbose=0)
    _, class_logits = model.discriminator(images, training=False)
    assert (np.argmax(class_logits.numpy(), -1) == labels).mean() == 1.0
    assert history.history["real_class_accuracy"][-1] > 0.5


def test_iter_samples_draws_the_same_labels_as_sample():
    model = zoo.build(conditional_config("cgan"), seed=0)
    streamed = np.concatenate(list(model.iter_samples(7, seed=1, batch_size=3)))
    np.testing.assert_array_equal(streamed, model.sample(7, seed=1))
    fixed = np.concatenate(list(model.iter_samples(5, labels="green", seed=1, batch_size=2)))
    np.testing.assert_array_equal(fixed, model.sample(5, labels="green", seed=1))


def projection_hinge_config():
    """The cgan-anime-hair recipe in miniature: hinge loss, SN + projection discriminator."""
    config = conditional_config("cgan")
    config["objective"] = {"adversarial_loss": "hinge"}
    config["discriminator"] = {"type": "dcgan", "base_filters": 4, "norm": "none",
                               "spectral_norm": True, "conditioning": "projection"}
    return config


def test_projection_discriminator_is_psi_plus_class_embedding_dot_features():
    """Miyato & Koyama 2018, Eq. 3, recomputed by hand from the network's own layers."""
    from ganzoo.nets import build_network

    keras.utils.set_random_seed(0)
    network = build_network("discriminator", {"type": "dcgan", "base_filters": 4,
                                              "norm": "none", "conditioning": "projection",
                                              "num_classes": 3},
                            latent_dim=8, image_shape=(16, 16, 3))
    images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    labels = np.array([0, 1, 2, 1], "int32")
    flatten = next(layer for layer in network.layers
                   if isinstance(layer, keras.layers.Flatten))
    features = keras.Model(network.inputs[0], flatten.output)(images)
    psi = network.get_layer("logits")
    embedding = network.get_layer("class_embedding").kernel.numpy()  # (classes, features)
    expected = psi(features).numpy()[:, 0] + np.sum(embedding[labels] * features.numpy(), 1)
    np.testing.assert_allclose(network([images, labels]).numpy()[:, 0], expected, rtol=1e-5,
                               atol=1e-6)
    # The class matters through the projection alone: same image, other label, other logit.
    other = network([images, (labels + 1) % 3]).numpy()[:, 0]
    assert np.abs(other - expected).max() > 1e-4


def test_spectral_norm_wraps_the_class_embedding():
    model = zoo.build(projection_hinge_config(), seed=0)
    wrapped = [layer.name for layer in model.discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert "class_embedding_sn" in wrapped and "logits_sn" in wrapped


def test_hinge_cgan_discriminator_loss_falls_with_the_generator_fixed(tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build(projection_hinge_config(), seed=0)
    images, labels = next(iter(labelled_data()))
    fake_labels = tf.constant([0, 1, 2, 0, 1, 2, 0, 1])

    def d_loss():
        fake = model.generator([tf.constant(model.latent_noise(8, seed=3)), fake_labels])
        return float(losses.hinge_discriminator(model.discriminator([images, labels]),
                                                model.discriminator([fake, fake_labels])))

    before = d_loss()
    g_weights = [w.numpy() for w in model.generator.trainable_weights]
    for _ in range(15):  # D steps only (G's optimizer untouched)
        model.discriminator_step(images, lambda r, f, *_: losses.hinge_discriminator(r, f),
                                 real_labels=labels, fake_labels=fake_labels)
    assert d_loss() < before - 0.05
    for before_w, w in zip(g_weights, model.generator.trainable_weights):
        np.testing.assert_array_equal(before_w, w.numpy())
    model.fit(labelled_data(), steps_per_epoch=2, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.adversarial_loss == "hinge"
    np.testing.assert_array_equal(loaded.discriminate(images, labels),
                                  model.discriminate(images, labels))


@pytest.mark.parametrize("variant", ["cgan", "acgan"])
def test_class_conditional_batch_norm_generator_trains_and_round_trips(variant, tmp_path):
    """The cgan-anime-hair recipe's generator (label through class-conditional batch norm)."""
    keras.utils.set_random_seed(0)
    config = conditional_config(variant)
    config["generator"] = dict(config["generator"], conditioning="batchnorm")
    model = zoo.build(config, seed=0)
    gammas = [layer.gamma for layer in model.generator.layers if hasattr(layer, "gamma")]
    assert gammas and all(gamma.shape[0] == 3 for gamma in gammas)
    before = [gamma.numpy().copy() for gamma in gammas]
    model.fit(labelled_data(), steps_per_epoch=3, epochs=1, verbose=0)
    # Each class's own scale row is trained (all three labels occur in the batches).
    for old, gamma in zip(before, gammas):
        assert (np.abs(gamma.numpy() - old).max(axis=1) > 0).all()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.sample(6, labels="blue", seed=1),
                                  model.sample(6, labels="blue", seed=1))
    z = model.latent_noise(4, seed=2)
    red, green = (model.generator([z, np.full(4, k)], training=False).numpy() for k in (0, 1))
    assert np.abs(red - green).max() > 1e-4  # the trained rows already tell classes apart


@pytest.mark.parametrize("change,message", [
    ({"objective": {"adversarial_loss": "wasserstein"}}, "adversarial_loss must be one of"),
    ({"generator": {"type": "dcgan", "base_filters": 4, "conditioning": "film"}},
     "generator conditioning must be one of embedding, batchnorm"),
    ({"discriminator": {"type": "dcgan", "base_filters": 4, "conditioning": "concat"}},
     "conditioning must be one of plane, projection"),
])
def test_bad_conditional_options_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        zoo.build(dict(conditional_config("cgan"), **change))
