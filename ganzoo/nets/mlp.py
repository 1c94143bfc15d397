"""Fully connected stacks, the setting of Goodfellow et al. 2014 on MNIST: a ReLU generator
with a tanh image output, and a discriminator with dropout. (The paper's discriminator used
maxout units; Keras has none, so LeakyReLU(0.2) stands in, with the paper's dropout.)"""
import math

import keras
from keras import layers

from ganzoo.checks import check_count
from ganzoo.nets.conditioning import class_head, with_label_embedding
from ganzoo.plugins import register_network


@register_network("mlp", "generator")
def mlp_generator(latent_dim, image_shape, hidden=(256, 512, 1024), num_classes=None,
                  batch_norm=False, name="generator"):
    """z (or [z, labels]) -> Dense/ReLU stack -> tanh pixels reshaped to image_shape.
    `batch_norm`: batch norm before each ReLU; without it, a plain ReLU MLP against a dropout
    discriminator tends to collapse on MNIST within a few thousand steps (as seen here)."""
    inputs, x = with_label_embedding(keras.Input((latent_dim,), name="z"), num_classes)
    for units in hidden:
        x = layers.Dense(units, use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Dense(math.prod(image_shape))(x)
    x = layers.Reshape(tuple(image_shape))(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name=name)


@register_network("mlp", "discriminator")
def mlp_discriminator(image_shape, hidden=(1024, 512, 256), dropout=0.3, conv_filters=(),
                      num_classes=None, aux_classes=None, name="discriminator"):
    """images (or [images, labels]) -> Dense/LeakyReLU/Dropout stack -> one logit
    (and class logits with `aux_classes`).
    `conv_filters`, e.g. (16, 32): a texture path of stride-2 4x4 convolutions (LeakyReLU, no
    norm) whose features join the pixels at the first dense layer. An MLP's first layer is a
    set of whole-image templates (global shape); it cannot tell grainy from smooth, which
    local convolutions can. Empty (default): pixels only."""
    images = keras.Input(tuple(image_shape), name="images")
    features = [layers.Flatten()(images)]
    if conv_filters:
        x = images
        for filters in conv_filters:
            x = layers.Conv2D(check_count(filters, "conv_filters"), 4, strides=2,
                              padding="same")(x)
            x = layers.LeakyReLU(0.2)(x)
        features.append(layers.Flatten()(x))
    pixels_and_texture = features[0] if len(features) == 1 else layers.Concatenate()(features)
    inputs, x = with_label_embedding(pixels_and_texture, num_classes, first=images)
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(inputs, class_head(x, logits, aux_classes), name=name)
