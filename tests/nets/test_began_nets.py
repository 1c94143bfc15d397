"""BEGAN's networks: the auto-encoder D reconstructs at the image shape, and G is the
decoder's architecture (Berthelot et al. 2017, Figure 1) with its own weights."""
import keras
import numpy as np
import pytest

from ganzoo.nets import build_network


@pytest.mark.parametrize("size,channels", [(28, 1), (64, 3)])
def test_generator_is_the_decoder_architecture(size, channels):
    shape = (size, size, channels)
    generator = build_network("generator", {"type": "autoencoder", "base_filters": 4},
                              latent_dim=8, image_shape=shape)
    autoencoder = build_network("discriminator", {"type": "autoencoder", "base_filters": 4,
                                                  "embedding_dim": 8},
                                latent_dim=8, image_shape=shape)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    images = generator(z).numpy()
    assert images.shape == (3,) + shape and np.abs(images).max() <= 1.0
    assert autoencoder(images).shape == (3,) + shape
    # Same decoder layers, in order (dense, convs, upsamplings): only G adds the tanh.
    decoder = autoencoder.layers[-len(generator.layers) + 2:]
    kinds = [type(layer).__name__ for layer in generator.layers[1:-1]]
    assert kinds == [type(layer).__name__ for layer in decoder]
    assert [w.shape for w in generator.weights] == [
        w.shape for w in autoencoder.weights[-len(generator.weights):]]
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in generator.layers)
