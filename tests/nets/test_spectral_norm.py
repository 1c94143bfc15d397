"""`"spectral_norm": true` on any network spec (Miyato et al. 2018): every kernel is wrapped,
each layer computes with W / sigma(W), whose largest singular value is 1, and the gradient
flows through sigma as in the paper's Eq. 12."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo.nets import SpectralNormalization, build_image_network, build_network

SPECS = {
    "dcgan": {"type": "dcgan", "base_filters": 4, "norm": "none"},
    "mlp": {"type": "mlp", "hidden": [32, 16]},
    "autoencoder": {"type": "autoencoder", "base_filters": 4, "embedding_dim": 8},
}
WEIGHTED = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)


def _wrappers(network):
    return [layer for layer in network.layers if isinstance(layer, SpectralNormalization)]


def _kernels(network):
    """The kernels each wrapped layer computes with, W / sigma(W)."""
    return [wrapper.normalized_kernel() for wrapper in _wrappers(network)]


def _largest_singular_value(kernel):
    matrix = np.asarray(kernel).reshape(-1, kernel.shape[-1])
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
    raw = [wrapper.layer.kernel for wrapper in _wrappers(network)]
    assert raw and any(abs(_largest_singular_value(k) - 1) > 0.1 for k in raw)
    x = tf.random.normal((4, 16, 16, 3))
    for _ in range(30):  # one power iteration per training call, as in the paper
        network(x, training=True)
    for kernel in _kernels(network):
        assert _largest_singular_value(kernel) == pytest.approx(1.0, abs=0.05)


def test_wrapped_layers_compute_what_the_plain_layer_computes_with_the_normalised_kernel():
    keras.utils.set_random_seed(1)
    x = tf.random.normal((2, 8, 8, 3))
    for layer, inputs in ((keras.layers.Conv2D(5, 4, strides=2, padding="same"), x),
                          (keras.layers.Conv2DTranspose(5, 4, strides=2, padding="same",
                                                        activation="tanh"), x),
                          (keras.layers.Dense(7, activation="relu"), tf.random.normal((2, 6)))):
        wrapper = SpectralNormalization(layer)
        wrapper(inputs)  # builds
        layer.bias.assign(tf.random.normal(layer.bias.shape))
        raw = layer.kernel.numpy().copy()
        expected_kernel = wrapper.normalized_kernel().numpy()
        got = wrapper(inputs, training=False).numpy()
        layer.kernel.assign(expected_kernel)  # the plain layer with W / sigma
        np.testing.assert_allclose(got, layer(inputs).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(raw / expected_kernel == 0, False)  # W is scaled
        assert not np.allclose(raw, expected_kernel)  # ... and the raw W is what is stored


def test_the_gradient_flows_through_sigma_as_in_eq_12():
    """dL/dW = (G - <G, W_SN> u v^T) / sigma (Miyato et al., Eq. 12, with G = dL/dW_SN and
    u, v the leading singular pair): the second term is the adaptive penalty on the leading
    singular component, and it makes the gradient orthogonal to W (W_SN does not change when W
    is scaled). A wrapper that normalises in place and treats W / sigma as a constant gives G."""
    keras.utils.set_random_seed(2)
    wrapper = SpectralNormalization(keras.layers.Dense(6, use_bias=False),
                                    power_iterations=50)
    x = tf.random.normal((16, 10))
    wrapper(x, training=True)  # u converges to the leading singular vector
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(wrapper(x, training=True) ** 2)
    grad = tape.gradient(loss, wrapper.layer.kernel).numpy()
    kernel = wrapper.layer.kernel.numpy()
    assert abs(np.sum(grad * kernel)) < 1e-4 * np.abs(grad).sum() * np.abs(kernel).max()
    fixed = tf.Variable(wrapper.normalized_kernel())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.matmul(x, fixed) ** 2)
    g = tape.gradient(loss, fixed).numpy()
    left, values, right = np.linalg.svd(kernel)
    expected = (g - np.sum(g * fixed.numpy()) * np.outer(left[:, 0], right[0])) / values[0]
    np.testing.assert_allclose(grad, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())
    assert not np.allclose(grad, g / values[0], rtol=0.05)  # the sigma term matters


def test_inference_calls_leave_the_weights_alone_and_the_flag_is_checked():
    network = build_network("discriminator", {**SPECS["dcgan"], "spectral_norm": True},
                            latent_dim=8, image_shape=(16, 16, 3))
    before = [w.numpy().copy() for w in network.weights]
    network(tf.zeros((1, 16, 16, 3)), training=False)
    for old, weight in zip(before, network.weights):
        np.testing.assert_array_equal(old, weight.numpy())
    with pytest.raises(ValueError, match="spectral_norm must be true or false"):
        build_network("discriminator", {**SPECS["dcgan"], "spectral_norm": "yes"},
                      latent_dim=8, image_shape=(16, 16, 3))


def test_under_mixed_bfloat16_the_kernel_keeps_float32_precision():
    """Keras' own wrapper computes W / sigma in the compute dtype and writes it back, rounding
    the float32 kernel to bfloat16 on every training call; ganzoo's keeps W and sigma float32."""
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
    for wrapper in _wrappers(network):
        values = wrapper.layer.kernel.numpy()
        assert values.dtype == np.float32
        rounded = values.astype(tf.bfloat16.as_numpy_dtype).astype(np.float32)
        assert np.mean(rounded == values) < 0.5  # not bfloat16 values stored as float32
        assert wrapper.normalized_kernel().dtype == "float32"
        assert _largest_singular_value(wrapper.normalized_kernel()) == pytest.approx(1.0, abs=0.05)
