"""Shipped FID reference statistics: built from real images, checked by SHA-256, and giving the
same FID as computing against the images themselves (real Inception, tiny data)."""
import json

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import TINY_CONFIG, blob_images
from ganzoo import zoo
from ganzoo.metrics import evaluate, evaluate_quality, inception, real_features
from ganzoo.metrics.reference import ReferenceStatisticsError, build_reference, load_reference

pytestmark = pytest.mark.skipif(inception.find_torchscript_weights() is None,
                                reason=f"FID Inception weights absent: {inception.WHEEL_HINT}")


@pytest.fixture(scope="module")
def shipped_reference(tmp_path_factory):
    """One zoo root + cache for the module: converting the Inception weights is the slow part."""
    root = tmp_path_factory.mktemp("zoo")
    (root / "zoo_configs").mkdir()
    images = root / "images"
    images.mkdir()
    for i, image in enumerate(blob_images(12, seed=3)):
        Image.fromarray(image).save(images / f"{i:02d}.png")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_HOME", str(root))
        patch.setenv("GANZOO_CACHE", str(root / "cache"))
        config = build_reference("blobs", images, TINY_CONFIG["image_shape"], 6, batch_size=4)
        yield root, images, config


@pytest.fixture
def tiny_model(shipped_reference):
    return zoo.build(json.loads(json.dumps(TINY_CONFIG)), seed=1)


def test_reference_fid_equals_fid_against_the_images(tiny_model, shipped_reference):
    _, images, config = shipped_reference
    assert config["n"] == 6 and config["real_vs_real"]["n_other_real"] == 6
    assert config["real_vs_real"]["fid"] > 0  # two different halves of 12 images
    mu, sigma, count, _ = load_reference("blobs")
    assert count == 6 and mu.shape == (2048,) and sigma.shape == (2048, 2048)
    tiny_model.reference = "blobs"
    shipped = evaluate_quality(tiny_model, None, metrics=["fid"], num=6, batch_size=4)
    direct = evaluate(tiny_model, images, num_fake=6, num_real=6, batch_size=4)
    assert shipped["real_source"] == "reference:blobs" and shipped["n_real"] == 6
    # Same real images (first 6 of the seeded shuffle), same samples; sigma stored as float32.
    assert shipped["fid"] == pytest.approx(direct["fid"], rel=1e-4)
    cached = sorted(p.name for p in (shipped_reference[0] / "cache" / "real_features").iterdir())
    assert len(cached) == 1 and cached[0].endswith("-12.npz")  # 6 served by the 12's first rows


def test_a_smaller_count_draws_the_first_images_of_a_larger_one(shipped_reference, tmp_path,
                                                                monkeypatch):
    root, images, _ = shipped_reference
    extract = inception.feature_extractor()
    twelve = real_features(images, TINY_CONFIG["image_shape"], 12, batch_size=4)
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))  # empty cache: computed afresh
    keras.utils.set_random_seed(7)  # the global seed must not change which images are drawn
    six = real_features(images, TINY_CONFIG["image_shape"], 6, batch_size=4, extract=extract)
    np.testing.assert_allclose(six, twelve[:6], atol=1e-5)
    extended = real_features(images, TINY_CONFIG["image_shape"], 12, batch_size=4,
                             extract=extract)  # the cached 6, then images 7-12 only
    np.testing.assert_allclose(extended, twelve, atol=1e-5)
    assert sorted(int(p.stem.rsplit("-", 1)[1])
                  for p in (tmp_path / "real_features").iterdir()) == [6, 12]


def test_metrics_that_need_images_say_so(tiny_model, shipped_reference):
    tiny_model.reference = "blobs"
    with pytest.raises(ValueError, match=r"kid compare with real images.*--metrics fid alone"):
        evaluate_quality(tiny_model, None, metrics=["fid", "kid"], num=4)
    tiny_model.reference = None
    with pytest.raises(ValueError, match="fid compare with real images"):
        evaluate_quality(tiny_model, None, metrics=["fid"], num=4)


def test_tampered_or_unknown_reference_is_refused(shipped_reference):
    folder = shipped_reference[0] / "pretrained" / "reference"
    original = (folder / "blobs.fid-stats.npz").read_bytes()
    (folder / "blobs.fid-stats.npz").write_bytes(original + b"x")
    try:
        with pytest.raises(ReferenceStatisticsError, match="SHA-256"):
            load_reference("blobs")
    finally:
        (folder / "blobs.fid-stats.npz").write_bytes(original)
    with pytest.raises(ReferenceStatisticsError, match="available: blobs"):
        load_reference("cifar")
    assert np.isfinite(shipped_reference[2]["real_vs_real"]["kid"])


def test_floor_against_another_split_is_recorded(shipped_reference):
    from ganzoo.metrics.fid import FeatureStatistics, frechet_distance
    from ganzoo.metrics.reference import measure_split_floor, reference_config

    _, images, _ = shipped_reference
    record = measure_split_floor("blobs", images, "train[:50%]", 6, batch_size=3)
    held_out = real_features(images, TINY_CONFIG["image_shape"], 6, batch_size=3,
                             split="train[:50%]")
    mu, sigma, _, _ = load_reference("blobs")
    other = FeatureStatistics(2048).update(held_out)
    assert record["fid"] == pytest.approx(frechet_distance(mu, sigma, other.mean,
                                                           other.covariance), abs=1e-3)
    assert record["n_real"] == 6 and record["n_other_real"] == 6
    assert reference_config("blobs")["vs_split"]["train[:50%]"] == record


def test_whole_set_reference_with_halves_floor(tiny_model, shipped_reference):
    """floor="halves": the statistics are of all n images, the floor is between their halves;
    evaluate_quality(reference=...) picks it instead of the entry's own reference."""
    from ganzoo.metrics.fid import FeatureStatistics, fid_from_statistics

    _, images, _ = shipped_reference
    config = build_reference("blobs-all", images, TINY_CONFIG["image_shape"], 12,
                             batch_size=4, floor="halves")
    features = real_features(images, TINY_CONFIG["image_shape"], 12, batch_size=4)
    mu, sigma, count, _ = load_reference("blobs-all")
    assert count == 12
    np.testing.assert_allclose(mu, features.mean(0), atol=1e-6)
    halves = fid_from_statistics(FeatureStatistics(2048).update(features[:6]),
                                 FeatureStatistics(2048).update(features[6:]))
    floor = config["real_vs_real"]
    assert floor["fid"] == pytest.approx(halves, abs=1e-3)
    assert (floor["n_real"], floor["n_other_real"]) == (6, 6)
    assert config["command"].endswith("--floor halves")
    tiny_model.reference = "blobs"
    result = evaluate_quality(tiny_model, None, metrics=["fid"], num=6, batch_size=4,
                              reference="blobs-all")
    assert result["real_source"] == "reference:blobs-all" and result["n_real"] == 12
    with pytest.raises(ValueError, match="floor must be one of"):
        build_reference("x", images, TINY_CONFIG["image_shape"], 4, floor="thirds")
