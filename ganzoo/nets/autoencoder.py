"""BEGAN's networks (Berthelot et al. 2017, Section 3.5 and Figure 1).

The discriminator is an auto-encoder: an encoder of stride-2 3x3 convolutions with ELU and no
batch norm down to an embedding of size `embedding_dim`, and a decoder of nearest-neighbour
upsampling and 3x3 convolutions back to the image. D(x) is the reconstruction of x; its L1
error is the BEGAN energy. The generator "uses the same architecture (though not the same
weights) as the discriminator decoder": `began_generator` is that decoder, fed with z.
"""
import keras
from keras import layers

from ganzoo.nets.dcgan import _stages
from ganzoo.plugins import register_network


def _decoder_stack(code, image_shape, base_filters, output_name):
    """Dense -> (bottom, bottom, base_filters), then [3x3 conv + ELU, 2x upsample] until the
    image size, a last 3x3 conv + ELU and a linear 3x3 conv (`output_name`) to the image
    channels."""
    start, stages = _stages(image_shape)
    # Down to 8x8 for 64x64 images, as in the paper (14x14 for 28x28).
    bottom, stages = start * 2, stages - 1
    x = layers.Dense(bottom * bottom * base_filters)(code)
    x = layers.Reshape((bottom, bottom, base_filters))(x)
    for _ in range(stages):
        x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(x)
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
    x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(x)
    return layers.Conv2D(image_shape[-1], 3, padding="same", dtype="float32",
                         name=output_name)(x)


@register_network("autoencoder", "discriminator")
def began_autoencoder(image_shape, base_filters=32, embedding_dim=64, name="discriminator"):
    _, stages = _stages(image_shape)
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Conv2D(base_filters, 3, padding="same", activation="elu")(images)
    for stage in range(1, stages):
        x = layers.Conv2D(base_filters * stage, 3, padding="same", activation="elu")(x)
        x = layers.Conv2D(base_filters * (stage + 1), 3, strides=2, padding="same",
                          activation="elu")(x)
    embedding = layers.Dense(embedding_dim, name="embedding")(layers.Flatten()(x))
    reconstruction = _decoder_stack(embedding, image_shape, base_filters, "reconstruction")
    return keras.Model(images, reconstruction, name=name)


@register_network("autoencoder", "generator")
def began_generator(latent_dim, image_shape, base_filters=32, name="generator"):
    """z (batch, latent_dim) -> images in [-1, 1]: the decoder's architecture, no batch
    norm; tanh keeps samples in the data range (the paper's decoder output is linear)."""
    z = keras.Input((latent_dim,), name="z")
    x = _decoder_stack(z, image_shape, base_filters, "to_image")
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)
