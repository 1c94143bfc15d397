"""Fully connected stacks, the setting of Goodfellow et al. 2014 on MNIST: a ReLU generator
with a tanh image output, and a discriminator with dropout. (The paper's discriminator used
maxout units; Keras has none, so LeakyReLU(0.2) stands in, with the paper's dropout.)"""
import math

import keras
from keras import layers


def mlp_generator(latent_dim, image_shape, hidden=(256, 512, 1024), name="generator"):
    """z -> Dense/ReLU stack -> tanh pixels reshaped to image_shape."""
    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in hidden:
        x = layers.Dense(units, activation="relu")(x)
    x = layers.Dense(math.prod(image_shape))(x)
    x = layers.Reshape(tuple(image_shape))(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)


def mlp_discriminator(image_shape, hidden=(1024, 512, 256), dropout=0.3, name="discriminator"):
    """images -> Dense/LeakyReLU/Dropout stack -> one logit."""
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten()(images)
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
