"""Function-preserving widening: a trained stack copied into a wider one (ganzoo.nets.widen)."""
import keras
import numpy as np
import pytest

from ganzoo.nets import build_network, with_spectral_norm
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator
from ganzoo.nets.widen import widen_into


def _randomize(network, seed):
    """Non-trivial weights and batch-norm statistics, as after training."""
    rng = np.random.default_rng(seed)
    for weight in network.weights:
        if "moving_variance" in weight.path:
            weight.assign(rng.uniform(0.5, 2.0, weight.shape))
        else:
            weight.assign(rng.normal(0.0, 0.1, weight.shape))


def test_widened_generator_computes_the_same_images():
    keras.utils.set_random_seed(0)
    narrow = dcgan_generator(8, (16, 16, 3), base_filters=4)
    wide = dcgan_generator(8, (16, 16, 3), base_filters=6)
    _randomize(narrow, 1)
    widen_into(narrow, wide)
    z = np.random.default_rng(2).normal(size=(5, 8)).astype("float32")
    np.testing.assert_allclose(wide(z, training=False), narrow(z, training=False), atol=1e-5)
    # New channels are normalised to unit variance in training mode, but their outgoing
    # weights are zero: the images agree there too.
    np.testing.assert_allclose(wide(z, training=True), narrow(z, training=True), atol=1e-5)
    assert wide.count_params() > narrow.count_params()


def test_widened_discriminator_computes_the_same_logits_with_distinct_new_filters():
    keras.utils.set_random_seed(0)
    narrow = dcgan_discriminator((16, 16, 3), base_filters=4, norm="none")
    wide = dcgan_discriminator((16, 16, 3), base_filters=7, norm="none")
    _randomize(narrow, 3)
    images = np.random.default_rng(4).uniform(-1, 1, (5, 16, 16, 3)).astype("float32")
    widen_into(narrow, wide)
    np.testing.assert_allclose(wide(images), narrow(images), rtol=1e-5, atol=1e-6)
    first, second = wide.layers[1].kernel.numpy(), wide.layers[3].kernel.numpy()
    np.testing.assert_array_equal(first[..., :4], narrow.layers[1].kernel.numpy())
    new = first[..., 4:].reshape(-1, 3)  # 3 new filters: small, non-zero, all different
    assert 0 < np.abs(new).max() < 0.1 * np.abs(first[..., :4]).max()
    assert np.linalg.matrix_rank(new) == 3
    assert not second[:, :, 4:, :].any()  # nothing flows out of them yet


def test_spectrally_normalised_discriminator_keeps_its_function_and_unit_spectral_norm():
    keras.utils.set_random_seed(0)
    spec = {"type": "dcgan", "norm": "none", "spectral_norm": True}
    narrow = build_network("discriminator", dict(spec, base_filters=4), latent_dim=8,
                           image_shape=(16, 16, 3))
    wide = build_network("discriminator", dict(spec, base_filters=6), latent_dim=8,
                         image_shape=(16, 16, 3))
    images = np.random.default_rng(4).uniform(-1, 1, (5, 16, 16, 3)).astype("float32")
    for _ in range(50):  # the source's u converged, as after training
        narrow(images, training=True)
    widen_into(narrow, wide)
    np.testing.assert_allclose(wide(images), narrow(images), rtol=1e-3, atol=1e-4)
    for layer in wide.layers:
        if isinstance(layer, keras.layers.SpectralNormalization):
            kernel = keras.ops.convert_to_numpy(layer.normalized_kernel())
            matrix = kernel.reshape(-1, kernel.shape[-1])
            assert np.linalg.svd(matrix, compute_uv=False)[0] == pytest.approx(1.0, abs=0.02)


def test_mismatched_or_branched_networks_are_refused():
    with pytest.raises(ValueError, match="not the same stack at two widths"):
        widen_into(dcgan_generator(8, (16, 16, 3), base_filters=4),
                   dcgan_generator(8, (32, 32, 3), base_filters=4))
    with pytest.raises(ValueError, match="only widens"):
        widen_into(dcgan_generator(8, (16, 16, 3), base_filters=6),
                   dcgan_generator(8, (16, 16, 3), base_filters=4))
    with pytest.raises(ValueError, match="single-input chains"):
        widen_into(dcgan_generator(8, (16, 16, 3), base_filters=4, num_classes=3),
                   dcgan_generator(8, (16, 16, 3), base_filters=6, num_classes=3))
