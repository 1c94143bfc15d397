"""BEGAN's auto-encoder discriminator (Berthelot et al. 2017, Section 3.5 and Figure 1):
an encoder of stride-2 3x3 convolutions with ELU and no batch norm down to an embedding of
size `embedding_dim`, and a decoder of nearest-neighbour upsampling and 3x3 convolutions back
to the image. D(x) is the reconstruction of x; its L1 error is the BEGAN energy."""
import keras
from keras import layers

from ganzoo.nets.dcgan import _stages


def began_autoencoder(image_shape, base_filters=32, embedding_dim=64, name="discriminator"):
    start, stages = _stages(image_shape)
    # Down to 8x8 for 64x64 images, as in the paper (14x14 for 28x28).
    bottom, stages = start * 2, stages - 1
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(images)
    for stage in range(1, stages + 1):
        x = layers.Conv2D(base_filters * stage, 3, padding="same", activation="elu")(x)
        x = layers.Conv2D(base_filters * (stage + 1), 3, strides=2, padding="same",
                          activation="elu")(x)
    embedding = layers.Dense(embedding_dim, name="embedding")(layers.Flatten()(x))
    x = layers.Dense(bottom * bottom * base_filters)(embedding)
    x = layers.Reshape((bottom, bottom, base_filters))(x)
    for _ in range(stages):
        x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(x)
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
    x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(x)
    reconstruction = layers.Conv2D(image_shape[-1], 3, padding="same", dtype="float32",
                                   name="reconstruction")(x)
    return keras.Model(images, reconstruction, name=name)
