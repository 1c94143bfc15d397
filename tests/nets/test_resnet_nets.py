"""SNGAN ResNet stacks (Miyato et al. 2018; Miyato & Koyama 2018): the published block
structure and widths, the sum pooling, conditioning, and training through the zoo."""
import json

import keras
import numpy as np
import pytest

from ganzoo import zoo
from ganzoo.nets import build_network
from ganzoo.nets.resnet import (GlobalSumPooling2D, sngan_resnet_discriminator,
                                sngan_resnet_generator)


def _convs(network, kernel_size):
    return [layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D)
            and layer.kernel_size == (kernel_size, kernel_size)]


def test_64x64_widths_are_the_papers():
    generator = sngan_resnet_generator(16, (64, 64, 3), base_filters=4)
    reshape = [layer for layer in generator.layers if isinstance(layer, keras.layers.Reshape)][0]
    assert reshape.target_shape == (4, 4, 64)  # 16 ch at 4x4
    # Two 3x3 convolutions per up-block (8ch, 4ch, 2ch, ch), then the 3x3 to RGB.
    assert [c.filters for c in _convs(generator, 3)] == [32, 32, 16, 16, 8, 8, 4, 4, 3]
    assert [c.filters for c in _convs(generator, 1)] == [32, 16, 8, 4]  # learnable shortcuts
    assert generator.output_shape == (None, 64, 64, 3)
    discriminator = sngan_resnet_discriminator((64, 64, 3), base_filters=4)
    assert [c.filters for c in _convs(discriminator, 3)] == [4, 4, 8, 8, 16, 16, 32, 32, 64, 64]
    pooled = [layer for layer in discriminator.layers if isinstance(layer, GlobalSumPooling2D)][0]
    assert pooled.input.shape[1:] == (2, 2, 64)  # five down-blocks: 64 -> 2 pixels


def test_first_discriminator_block_sees_raw_pixels_and_later_blocks_pre_activate():
    discriminator = sngan_resnet_discriminator((32, 32, 3), base_filters=4)
    first_conv = _convs(discriminator, 3)[0]
    assert first_conv.input is discriminator.inputs[0]  # no ReLU on the image
    second_block_conv = _convs(discriminator, 3)[2]
    assert isinstance(second_block_conv.input._keras_history.operation, keras.layers.ReLU)


def test_generator_block_is_identity_plus_residual_at_zero_residual_weights():
    # With the residual branch's last convolution zeroed, a block is its shortcut:
    # nearest-neighbour upsampling then the 1x1 convolution.
    generator = sngan_resnet_generator(8, (16, 16, 1), base_filters=2)
    generator(np.zeros((1, 8), np.float32))
    reshape = [layer for layer in generator.layers if isinstance(layer, keras.layers.Reshape)][0]
    add = [layer for layer in generator.layers if isinstance(layer, keras.layers.Add)][0]
    residual_conv = _convs(generator, 3)[1]
    residual_conv.kernel.assign(np.zeros(residual_conv.kernel.shape))
    residual_conv.bias.assign(np.zeros(residual_conv.bias.shape))
    shortcut_conv = _convs(generator, 1)[0]
    probe = keras.Model(generator.inputs, [reshape.output, add.output])
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    start, block = (t.numpy() for t in probe(z))
    upsampled = start.repeat(2, axis=1).repeat(2, axis=2)
    kernel, bias = shortcut_conv.kernel.numpy()[0, 0], shortcut_conv.bias.numpy()
    np.testing.assert_allclose(block, upsampled @ kernel + bias, rtol=1e-5, atol=1e-5)


def test_global_sum_pooling_sums_positions():
    x = np.arange(2 * 3 * 3 * 2, dtype="float32").reshape(2, 3, 3, 2)
    np.testing.assert_allclose(GlobalSumPooling2D()(x).numpy(), x.sum(axis=(1, 2)))


def test_projection_discriminator_adds_the_class_inner_product():
    discriminator = sngan_resnet_discriminator((16, 16, 3), base_filters=2, num_classes=3)
    images = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 3)).astype("float32")
    labels = np.array([0, 1, 2], np.int32)
    features = keras.Model(discriminator.inputs, [
        discriminator.get_layer("logits").output, discriminator.get_layer("logits").input])
    psi, phi = (t.numpy() for t in features([images, labels]))
    embedding = discriminator.get_layer("class_embedding").kernel.numpy()
    expected = psi[:, 0] + np.sum(embedding[labels] * phi, axis=1)
    np.testing.assert_allclose(discriminator([images, labels]).numpy()[:, 0], expected,
                               rtol=1e-4, atol=1e-4)


def test_spectral_norm_wraps_every_weighted_layer():
    discriminator = build_network("discriminator", {"type": "sngan_resnet", "base_filters": 2,
                                                    "spectral_norm": True},
                                  latent_dim=8, image_shape=(16, 16, 3))
    wrapped = [layer for layer in discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3 * 3 + 1  # (two 3x3 + one 1x1) per block, and the logit


@pytest.fixture
def resnet_config(tiny_config):
    config = json.loads(json.dumps(tiny_config))
    config.update(variant="sngan", generator={"type": "sngan_resnet", "base_filters": 2},
                  discriminator={"type": "sngan_resnet", "base_filters": 2,
                                 "spectral_norm": True}, objective={"n_dis": 1})
    return config


def test_sngan_with_resnet_stacks_trains_and_round_trips(resnet_config, tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build(resnet_config, seed=0)
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    images = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 3)).astype("float32")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    after = model.generator.trainable_weights
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, after))
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(model.sample(4, seed=3), restored.sample(4, seed=3))


def test_cgan_uses_class_conditional_blocks_and_projection(resnet_config):
    config = dict(resnet_config, variant="cgan", num_classes=3, objective={})
    model = zoo.build(config, seed=0)
    names = [type(layer).__name__ for layer in model.generator.layers]
    assert names.count("ClassConditionalBatchNorm") == 2 * 2 + 1  # two per block (16x16: two), last BN
    assert model.discriminator.get_layer("class_embedding_sn") is not None  # SNEmbedID
    images = model.sample(6, labels=[0, 1, 2, 0, 1, 2], seed=0)
    assert images.shape == (6, 16, 16, 3)
