"""`"spectral_norm": true` on any network spec (Miyato et al. 2018): every kernel is wrapped,
and training calls hold each kernel's largest singular value at 1."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo.nets import build_image_network, build_network

SPECS = {
    "dcgan": {"type": "dcgan", "base_filters": 4, "norm": "none"},
    "mlp": {"type": "mlp", "hidden": [32, 16]},
    "autoencoder": {"type": "autoencoder", "base_filters": 4, "embedding_dim": 8},
}
WEIGHTED = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)


def _kernels(network):
    return [layer.layer.kernel for layer in network.layers
            if isinstance(layer, keras.layers.SpectralNormalization)]


def _largest_singular_value(kernel):
    matrix = kernel.numpy().reshape(-1, kernel.shape[-1])
    return float(np.linalg.svd(matrix, compute_uv=False)[0])


@pytest.mark.parametrize("kind", sorted(SPECS) + ["patchgan"])
def test_every_kernel_is_normalised_to_unit_spectral_norm(kind):
    keras.utils.set_random_seed(0)
    if kind == "patchgan":
        network = build_image_network("discriminator", {"type": "patchgan", "base_filters": 4,
                                                        "layers_count": 1,
                                                        "spectral_norm": True},
                                      image_shape=(16, 16, 3))
    else:
        network = build_network("discriminator", {**SPECS[kind], "spectral_norm": True},
                                latent_dim=8, image_shape=(16, 16, 3))
    assert not any(isinstance(layer, WEIGHTED) for layer in network.layers)  # all wrapped
    kernels = _kernels(network)
    assert kernels and any(abs(_largest_singular_value(k) - 1) > 0.1 for k in kernels)
    x = tf.random.normal((4, 16, 16, 3))
    for _ in range(30):  # one power iteration per training call, as in the paper
        network(x, training=True)
    for kernel in kernels:
        assert _largest_singular_value(kernel) == pytest.approx(1.0, abs=0.05)


def test_inference_calls_leave_the_kernels_alone_and_the_flag_is_checked():
    network = build_network("discriminator", {**SPECS["dcgan"], "spectral_norm": True},
                            latent_dim=8, image_shape=(16, 16, 3))
    before = [k.numpy().copy() for k in _kernels(network)]
    network(tf.zeros((1, 16, 16, 3)), training=False)
    for old, kernel in zip(before, _kernels(network)):
        np.testing.assert_array_equal(old, kernel.numpy())
    with pytest.raises(ValueError, match="spectral_norm must be true or false"):
        build_network("discriminator", {**SPECS["dcgan"], "spectral_norm": "yes"},
                      latent_dim=8, image_shape=(16, 16, 3))


def test_under_mixed_bfloat16_the_kernel_keeps_float32_precision():
    """Keras' own wrapper computes W / sigma in the compute dtype and writes it back, rounding
    the float32 kernel to bfloat16 on every training call; ganzoo's keeps float32."""
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        network = build_network("discriminator", {**SPECS["dcgan"], "spectral_norm": True},
                                latent_dim=8, image_shape=(16, 16, 3))
        x = tf.random.normal((4, 16, 16, 3))
        for _ in range(30):
            network(x, training=True)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    for kernel in _kernels(network):
        values = kernel.numpy()
        assert values.dtype == np.float32
        rounded = values.astype(tf.bfloat16.as_numpy_dtype).astype(np.float32)
        assert np.mean(rounded == values) < 0.5  # not bfloat16 values stored as float32
        assert _largest_singular_value(kernel) == pytest.approx(1.0, abs=0.05)
