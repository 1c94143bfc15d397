"""DCGAN convolution stacks (Radford, Metz & Chintala 2016, Section 3 and Figure 1).

Generator: project z to a 4x4 feature map (7x7 for 28x28 images), then strided 4x4 transposed convolutions that halve
the width and double the resolution, batch norm + ReLU, tanh output.
Discriminator: the mirror image with strided 4x4 convolutions and LeakyReLU(0.2), batch norm on
every layer except the first, and a single logit (no sigmoid: losses work from logits).
Weights start from N(0, 0.02) as in the paper.
"""

import keras
from keras import layers

from ganzoo.checks import check_count
from ganzoo.nets.conditioning import (CONDITIONINGS, batch_norm, class_head, generator_inputs,
                                      label_map, projection, projection_inputs)
from ganzoo.plugins import register_network


def _init():
    # A new initializer per layer: one created at import time would draw its seed before
    # the user's keras.utils.set_random_seed, making seeded runs irreproducible.
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _stages(image_shape):
    """(start size, number of stride-2 stages): the side is halved while it is even and larger
    than 7, so 64 -> 4x4 after 4 stages (Radford et al.) and MNIST's 28 -> 7x7 after 2."""
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}.")
    height, width, channels = image_shape
    start, stages = height, 0
    while start % 2 == 0 and start > 7:
        start, stages = start // 2, stages + 1
    if height != width or stages < 2 or not 3 <= start <= 7:
        raise ValueError(
            f"DCGAN stacks need square images whose side halves at least twice down to 3-7 "
            f"pixels (e.g. 16, 28, 32, 64, 128), got {height}x{width}."
        )
    if channels not in (1, 3):
        raise ValueError(f"DCGAN stacks take 1 or 3 channels, got {channels}.")
    return start, stages


@register_network("dcgan", "generator")
def dcgan_generator(latent_dim, image_shape, base_filters=64, num_classes=None,
                    conditioning="embedding", name="generator"):
    """z (batch, latent_dim) -> images (batch, H, W, C) in [-1, 1]; with `num_classes`,
    [z, labels] -> images, the label seen through `conditioning`: "embedding" (a learned
    label embedding joined to z) or "batchnorm" (class-conditional batch norm on every
    layer; see `ganzoo.nets.conditioning`).

    The widths are base_filters * 2**k, widest at 4x4 (Radford et al. use base 128 at 64x64
    with 1024 filters at 4x4; `base_filters` scales the whole stack).
    """
    start, stages = _stages(image_shape)
    width = base_filters * 2 ** (stages - 1)
    inputs, x, labels = generator_inputs(latent_dim, num_classes, conditioning)
    x = layers.Dense(start * start * width, use_bias=False, kernel_initializer=_init())(x)
    x = layers.Reshape((start, start, width))(x)
    x = batch_norm(x, labels, num_classes)
    x = layers.ReLU()(x)
    for _ in range(stages - 1):
        width //= 2
        x = layers.Conv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init()
        )(x)
        x = batch_norm(x, labels, num_classes)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(
        image_shape[-1], 4, strides=2, padding="same", kernel_initializer=_init()
    )(x)
    # tanh in float32 even under a mixed policy: images are outputs, not activations.
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name=name)


_NORMS = {
    "batch": layers.BatchNormalization,
    # WGAN-GP (Gulrajani et al. 2017, Section 4): the penalty is per sample, so the critic
    # must not mix samples through batch statistics; layer norm is the paper's suggestion.
    # Their code normalises each sample over (H, W, C) with per-channel scale and offset:
    # that is GroupNormalization with one group (keras LayerNormalization's default axis=-1
    # would normalise each pixel over its channels alone).
    "layer": lambda: layers.GroupNormalization(groups=1, epsilon=1e-5),
    "none": None,
}


@register_network("dcgan", "discriminator")
def dcgan_discriminator(image_shape, base_filters=64, norm="batch", hidden_units=None,
                        num_classes=None, aux_classes=None, conditioning="plane",
                        name="discriminator"):
    """images (batch, H, W, C) in [-1, 1] -> real/fake logit (batch, 1).
    `norm`: "batch" (Radford et al.), "layer" or "none" (critics with a gradient penalty).
    `hidden_units`: a fully connected layer (with `norm` and LeakyReLU) between the last
    convolution and the logit, as in InfoGAN's MNIST discriminator (Chen et al. 2016: FC1024);
    None (Radford et al.) goes straight to the logit.
    `num_classes` (CGAN): inputs [images, labels]; `conditioning` "plane": the label as an
    extra learned image plane, "projection": the label's embedding projected onto the last
    features (Miyato & Koyama 2018).
    `aux_classes` (AC-GAN): outputs [logit, class logits (batch, aux_classes)]."""
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {sorted(_NORMS)}, got {norm!r}.")
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, got "
                         f"{conditioning!r}.")
    _, stages = _stages(image_shape)
    images = keras.Input(tuple(image_shape), name="images")
    if conditioning == "projection":
        (inputs, one_hot), x = projection_inputs(images, num_classes), images
    else:
        (inputs, x), one_hot = label_map(images, num_classes), None
    width = base_filters
    for stage in range(stages):
        x = layers.Conv2D(
            width, 4, strides=2, padding="same", use_bias=stage == 0 or norm == "none",
            kernel_initializer=_init()
        )(x)
        if stage > 0 and _NORMS[norm]:  # Radford et al.: none on the input layer
            x = _NORMS[norm]()(x)
        x = layers.LeakyReLU(0.2)(x)
        width *= 2
    x = layers.Flatten()(x)
    if hidden_units is not None:
        x = layers.Dense(check_count(hidden_units, "hidden_units"), use_bias=norm == "none",
                         kernel_initializer=_init())(x)
        if _NORMS[norm]:
            x = _NORMS[norm]()(x)
        x = layers.LeakyReLU(0.2)(x)
    logits = layers.Dense(1, kernel_initializer=_init(), dtype="float32", name="logits")(x)
    logits = projection(x, logits, one_hot)
    return keras.Model(inputs, class_head(x, logits, aux_classes), name=name)
