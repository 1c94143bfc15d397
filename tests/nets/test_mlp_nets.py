"""MLP stacks (Goodfellow et al. 2014's MNIST setting) and the MLP critic's texture path."""
import keras
import numpy as np
import pytest

from ganzoo.nets.mlp import mlp_discriminator, mlp_generator


def test_generator_maps_noise_to_images_in_range():
    generator = mlp_generator(8, (6, 6, 1), hidden=(16, 32))
    images = keras.ops.convert_to_numpy(generator(np.random.default_rng(0).normal(
        size=(5, 8)).astype("float32")))
    assert images.shape == (5, 6, 6, 1) and np.abs(images).max() <= 1.0


def test_discriminator_sees_pixels_only_by_default():
    critic = mlp_discriminator((8, 8, 1), hidden=(16,), dropout=0.0)
    assert not [layer for layer in critic.layers if isinstance(layer, keras.layers.Conv2D)]
    assert critic.layers[-1].name == "logits"
    assert critic.get_layer(index=2).kernel.shape == (64, 16)  # flattened pixels -> 16 units


def test_texture_path_joins_convolution_features_to_the_pixels():
    critic = mlp_discriminator((8, 8, 1), hidden=(16,), dropout=0.0, conv_filters=(3, 5))
    convs = [layer for layer in critic.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [3, 5] and all(c.strides == (2, 2) for c in convs)
    first_dense = next(layer for layer in critic.layers if isinstance(layer, keras.layers.Dense))
    assert first_dense.kernel.shape == (64 + 2 * 2 * 5, 16)  # pixels + 2x2x5 conv features
    # The convolutions matter: zeroing them changes the output on a textured image.
    image = np.random.default_rng(1).uniform(-1, 1, (2, 8, 8, 1)).astype("float32")
    before = keras.ops.convert_to_numpy(critic(image))
    for conv in convs:
        conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
    assert not np.allclose(before, keras.ops.convert_to_numpy(critic(image)))
    with pytest.raises(ValueError, match="conv_filters must be a positive integer"):
        mlp_discriminator((8, 8, 1), conv_filters=(0,))
