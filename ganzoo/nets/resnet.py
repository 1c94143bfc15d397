"""ResNet stacks of SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018, Appendix B) and the
projection discriminator (Miyato & Koyama 2018): the 64x64 architectures of their code.

Generator: z -> Dense to a 4x4 map of base_filters * 2**stages channels, then one up-block
per stage (BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, shortcut upsample-conv1x1), each
halving the width and doubling the side, then BN-ReLU-conv3x3-tanh. For 64x64: widths
16ch -> 8ch -> 4ch -> 2ch -> ch at 4 -> 64 pixels.
Discriminator: an "optimised" first block (conv3x3-ReLU-conv3x3-avgpool, shortcut
avgpool-conv1x1), then down-blocks (ReLU-conv3x3-ReLU-conv3x3-avgpool, shortcut
conv1x1-avgpool) doubling the width, ReLU, a global *sum* pool and one logit. For 64x64:
ch -> 2ch -> 4ch -> 8ch -> 16ch at 32 -> 2 pixels. Spectral normalisation comes from the spec's
`"spectral_norm": true` (`ganzoo.nets.with_spectral_norm`), as for every stack.

Residual convolutions start from Glorot-uniform scaled for ReLU (gain sqrt 2), shortcuts and
the dense layers from plain Glorot uniform, as in the authors' Chainer code. Conditional
generators use class-conditional batch norm in every block; conditional discriminators the
projection (`ganzoo.nets.conditioning`).
"""
import keras
from keras import layers, ops

from ganzoo.nets.conditioning import (batch_norm, class_head, generator_inputs, projection,
                                      projection_inputs)
from ganzoo.nets.dcgan import _stages
from ganzoo.plugins import register_network


def _residual_init():
    return keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform")


def _conv(filters, kernel_size, initializer=None):
    return layers.Conv2D(filters, kernel_size, padding="same",
                         kernel_initializer=initializer or _residual_init())


@keras.saving.register_keras_serializable("ganzoo")
class GlobalSumPooling2D(layers.Layer):
    """(batch, H, W, C) -> (batch, C): the sum over positions (Miyato et al.'s D), not the
    mean, so the logit's scale does not shrink with the map size."""

    def call(self, inputs):
        return ops.sum(inputs, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def generator_block(x, filters, labels, num_classes):
    """BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3 + upsample-conv1x1 shortcut."""
    shortcut = layers.UpSampling2D(2)(x)
    shortcut = _conv(filters, 1, "glorot_uniform")(shortcut)
    h = layers.ReLU()(batch_norm(x, labels, num_classes))
    h = layers.UpSampling2D(2)(h)
    h = _conv(filters, 3)(h)
    h = layers.ReLU()(batch_norm(h, labels, num_classes))
    h = _conv(filters, 3)(h)
    return layers.Add()([h, shortcut])


def discriminator_block(x, filters, first=False):
    """The first ("optimised") block takes raw pixels: no ReLU before its first convolution,
    and its shortcut pools before the 1x1 convolution; later blocks pre-activate."""
    if first:
        shortcut = _conv(filters, 1, "glorot_uniform")(layers.AveragePooling2D(2)(x))
        h = x
    else:
        shortcut = layers.AveragePooling2D(2)(_conv(filters, 1, "glorot_uniform")(x))
        h = layers.ReLU()(x)
    h = _conv(filters, 3)(h)
    h = _conv(filters, 3)(layers.ReLU()(h))
    h = layers.AveragePooling2D(2)(h)
    return layers.Add()([h, shortcut])


@register_network("sngan_resnet", "generator")
def sngan_resnet_generator(latent_dim, image_shape, base_filters=64, num_classes=None,
                           conditioning="batchnorm", name="generator"):
    """z (batch, latent_dim) [+ labels] -> images (batch, H, W, C) in [-1, 1]."""
    start, stages = _stages(image_shape)
    width = base_filters * 2 ** stages
    inputs, x, labels = generator_inputs(latent_dim, num_classes, conditioning)
    x = layers.Dense(start * start * width, kernel_initializer="glorot_uniform")(x)
    x = layers.Reshape((start, start, width))(x)
    for _ in range(stages):
        width //= 2
        x = generator_block(x, width, labels, num_classes)
    x = layers.ReLU()(batch_norm(x, labels, num_classes))
    x = _conv(image_shape[-1], 3, "glorot_uniform")(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name=name)


@register_network("sngan_resnet", "discriminator")
def sngan_resnet_discriminator(image_shape, base_filters=64, num_classes=None,
                               aux_classes=None, conditioning="projection",
                               name="discriminator"):
    """images (batch, H, W, C) [+ labels] -> logit (batch, 1); `num_classes` adds the
    projection term <V e_y, phi(x)> (Miyato & Koyama 2018, Eq. 3), `aux_classes` an AC-GAN
    class head."""
    if num_classes and conditioning != "projection":
        raise ValueError(f"ResNet discriminators condition by projection only, got "
                         f"conditioning={conditioning!r}.")
    _, stages = _stages(image_shape)
    images = keras.Input(tuple(image_shape), name="images")
    inputs, one_hot = projection_inputs(images, num_classes)
    x, width = images, base_filters
    for block in range(stages + 1):
        x = discriminator_block(x, width, first=block == 0)
        width *= 2
    features = GlobalSumPooling2D()(layers.ReLU()(x))
    logits = layers.Dense(1, kernel_initializer="glorot_uniform", dtype="float32",
                          name="logits")(features)
    logits = projection(features, logits, one_hot)
    return keras.Model(inputs, class_head(features, logits, aux_classes), name=name)
