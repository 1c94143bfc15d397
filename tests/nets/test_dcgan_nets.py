"""DCGAN stacks: shapes for every supported resolution, the published layer choices, errors."""
import keras
import numpy as np
import pytest

from ganzoo.nets import build_network
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator


@pytest.mark.parametrize("size,channels", [(16, 1), (28, 1), (32, 3), (48, 3), (64, 3), (128, 1)])
def test_shapes(size, channels):
    generator = dcgan_generator(12, (size, size, channels), base_filters=4)
    discriminator = dcgan_discriminator((size, size, channels), base_filters=4)
    images = generator(np.zeros((2, 12), np.float32)).numpy()
    assert images.shape == (2, size, size, channels)
    assert discriminator(images).shape == (2, 1)


def test_published_layer_choices():
    generator = dcgan_generator(10, (32, 32, 3), base_filters=8)
    convs = [layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert [c.filters for c in convs] == [16, 8, 3]  # widths halve towards the image
    assert all(c.kernel_size == (4, 4) and c.strides == (2, 2) for c in convs)
    assert generator.layers[-1].activation is keras.activations.tanh
    discriminator = dcgan_discriminator((32, 32, 3), base_filters=8)
    norms = [layer for layer in discriminator.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    convs = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [8, 16, 32]
    assert len(norms) == len(convs) - 1  # no batch norm on the input layer
    leaky = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert all(abs(layer.negative_slope - 0.2) < 1e-9 for layer in leaky)
    stddev = float(np.std(convs[-1].kernel.numpy()))
    assert 0.015 < stddev < 0.025  # N(0, 0.02) initialisation


@pytest.mark.parametrize("shape", [(36, 36, 3), (12, 12, 3), (8, 8, 3), (30, 30, 1), (32, 16, 3), (32, 32, 2), (32, 32)])
def test_unsupported_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="DCGAN stacks|image_shape must be"):
        dcgan_generator(8, shape)


def test_unknown_network_type():
    with pytest.raises(ValueError, match="Unknown network type 'resnet9'.*known types"):
        build_network("generator", {"type": "resnet9"}, latent_dim=8, image_shape=(16, 16, 3))


def test_mnist_sized_stack_starts_at_7x7():
    generator = dcgan_generator(10, (28, 28, 1), base_filters=8)
    reshape = [layer for layer in generator.layers if isinstance(layer, keras.layers.Reshape)][0]
    assert reshape.target_shape == (7, 7, 16)


def test_critic_layer_norm_normalises_each_sample_over_height_width_and_channels():
    # Gulrajani et al.'s critic: per-sample statistics over (H, W, C), per-channel scale/offset.
    critic = dcgan_discriminator((16, 16, 3), base_filters=4, norm="layer")
    norms = [layer for layer in critic.layers if "normalization" in layer.name]
    assert norms and not any(isinstance(layer, keras.layers.BatchNormalization)
                             for layer in critic.layers)
    features = np.random.default_rng(0).normal(3.0, 2.0, (2, 8, 8, 8)).astype("float32")
    features[1] *= 5.0  # a different scale per sample must not leak across samples
    out = keras.ops.convert_to_numpy(norms[0](features))
    np.testing.assert_allclose(out.reshape(2, -1).mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.reshape(2, -1).std(axis=1), 1.0, atol=1e-3)
    assert np.abs(out.mean(axis=-1)).max() > 0.1  # not normalised per pixel over channels
    assert tuple(norms[0].gamma.shape) == (8,)


@pytest.mark.parametrize("norm", ["layer", "none", "batch"])
def test_optional_hidden_layer_before_the_logit(norm):
    # InfoGAN's MNIST discriminator (Chen et al. 2016): ... -> FC1024 -> norm -> LReLU -> logit.
    critic = dcgan_discriminator((16, 16, 1), base_filters=4, norm=norm, hidden_units=24)
    dense = [layer for layer in critic.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [24, 1]
    assert dense[0].use_bias == (norm == "none")  # a following norm layer has its own offset
    assert critic(np.zeros((3, 16, 16, 1), np.float32)).shape == (3, 1)
    plain = dcgan_discriminator((16, 16, 1), base_filters=4, norm=norm)
    assert [d.units for d in plain.layers if isinstance(d, keras.layers.Dense)] == [1]
    with pytest.raises(ValueError, match="hidden_units must be a positive integer"):
        dcgan_discriminator((16, 16, 1), base_filters=4, hidden_units=2.5)


def test_class_conditional_batch_norm_scales_and_shifts_by_each_samples_label():
    from ganzoo.nets.conditioning import ClassConditionalBatchNorm

    norm = ClassConditionalBatchNorm(3, epsilon=0.0)
    features = np.random.default_rng(0).normal(2.0, 3.0, (6, 2, 2, 4)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1, 2], "int32")
    norm([features, labels])
    gamma = np.arange(12, dtype="float32").reshape(3, 4) + 1
    beta = -np.arange(12, dtype="float32").reshape(3, 4)
    norm.gamma.assign(gamma)
    norm.beta.assign(beta)
    out = keras.ops.convert_to_numpy(norm([features, labels], training=True))
    mean, std = features.mean((0, 1, 2)), features.std((0, 1, 2))
    expected = (features - mean) / std * gamma[labels][:, None, None] + beta[labels][:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_batchnorm_conditioned_generator_uses_the_label_at_every_layer():
    keras.utils.set_random_seed(0)  # the images' scale depends on the random init
    generator = dcgan_generator(8, (16, 16, 3), base_filters=4, num_classes=3,
                                conditioning="batchnorm")
    assert [i.name for i in generator.inputs] == ["z", "labels"]
    norms = [layer for layer in generator.layers
             if type(layer).__name__ == "ClassConditionalBatchNorm"]
    assert len(norms) == 2 and not any(type(layer).__name__ == "BatchNormalization"
                                       for layer in generator.layers)
    # Different gamma per class: the same z gives different images for different labels.
    for norm in norms:
        norm.gamma.assign(np.random.default_rng(1).uniform(0.5, 2.0, norm.gamma.shape))
    z = np.repeat(np.random.default_rng(2).normal(size=(1, 8)).astype("float32"), 3, axis=0)
    images = keras.ops.convert_to_numpy(generator([z, np.arange(3)], training=False))
    assert np.abs(images[0] - images[1]).max() > 1e-3
    restored = keras.Model.from_config(generator.get_config())
    restored.set_weights(generator.get_weights())
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored([z, np.arange(3)], training=False)), images)


def test_unknown_generator_conditioning_is_refused():
    with pytest.raises(ValueError, match="generator conditioning must be one of embedding"):
        dcgan_generator(8, (16, 16, 3), base_filters=4, num_classes=3, conditioning="film")
