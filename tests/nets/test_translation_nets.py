"""Image-to-image networks: U-Net skips, PatchGAN receptive fields, ResNet generator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo.nets.translation import patchgan_discriminator, resnet_generator, unet_generator


def test_unet_skip_connections_join_mirrored_encoder_layers():
    net = unet_generator((32, 32, 1), (32, 32, 3), base_filters=4)
    joins = [layer for layer in net.layers if isinstance(layer, keras.layers.Concatenate)]
    assert len(joins) == 4  # 5 encoder layers (32 -> 1), every decoder layer but the last
    for join in joins:
        shapes = [tuple(t.shape[1:3]) for t in join.input]
        assert shapes[0] == shapes[1]
    # Through the skips, the output near a pixel depends on that pixel even in a deep net:
    x = tf.Variable(tf.zeros((1, 32, 32, 1)))
    with tf.GradientTape() as tape:
        out = net(x, training=False)[0, 5, 5, 0]
    assert float(tf.abs(tape.gradient(out, x))[0, 5, 5, 0]) > 0


@pytest.mark.parametrize("layers_count,field", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field(layers_count, field):
    size = 96
    net = patchgan_discriminator((size, size, 3), base_filters=2, layers_count=layers_count,
                                 norm="none")
    x = tf.Variable(tf.random.normal((1, size, size, 3)))
    with tf.GradientTape() as tape:
        logits = net(x)
        centre = logits[0, logits.shape[1] // 2, logits.shape[2] // 2, 0]
    touched = np.nonzero(np.abs(tape.gradient(centre, x).numpy()[0]).sum(-1))
    extent = max(touched[0].max() - touched[0].min(), touched[1].max() - touched[1].min()) + 1
    assert extent <= field and extent >= field - 4  # 'same' padding trims a few pixels


def test_resnet_generator_shapes_and_reflection_padding():
    net = resnet_generator((16, 16, 3), (16, 16, 1), base_filters=4, blocks=2)
    assert net(tf.zeros((2, 16, 16, 3))).shape == (2, 16, 16, 1)
    with pytest.raises(ValueError, match="halves the side twice"):
        resnet_generator((18, 18, 3), (18, 18, 3))
