"""FID: streaming statistics and the Fréchet distance against closed forms."""
import logging

import numpy as np
import pytest

from ganzoo.metrics.fid import FeatureStatistics, fid_from_statistics, frechet_distance


def test_streaming_statistics_equal_numpy():
    features = np.random.default_rng(0).standard_normal((500, 6)) * [1, 2, 3, 4, 5, 6]
    stats = FeatureStatistics(6)
    for start in range(0, 500, 64):
        stats.update(features[start:start + 64])
    np.testing.assert_allclose(stats.mean, features.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(features, rowvar=False), rtol=1e-10)


def test_fid_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(1).standard_normal((300, 8))
    stats = FeatureStatistics(8).update(features)
    assert fid_from_statistics(stats, stats) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_two_gaussians_matches_the_closed_form():
    # Diagonal covariances commute: Tr((S1 S2)^1/2) = sum sqrt(s1_i s2_i), so
    # FID = |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2))
    #     = |mu1 - mu2|^2 + sum (sqrt s1 - sqrt s2)^2
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 5.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)


def test_fid_is_rotation_invariant_for_full_covariances():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    sigma1, sigma2 = a @ a.T, b @ b.T
    rotation, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    plain = frechet_distance(mu1, sigma1, mu2, sigma2)
    rotated = frechet_distance(rotation @ mu1, rotation @ sigma1 @ rotation.T,
                               rotation @ mu2, rotation @ sigma2 @ rotation.T)
    assert rotated == pytest.approx(plain, rel=1e-8)
    # and equals the definition with an explicit matrix square root of S1 S2
    values, vectors = np.linalg.eig(sigma1 @ sigma2)
    trace_sqrt = np.sum(np.sqrt(values.astype(complex))).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2) - 2 * trace_sqrt
    assert plain == pytest.approx(expected, rel=1e-8)


def test_fewer_samples_than_dimensions_warns(caplog):
    small = FeatureStatistics(16).update(np.random.default_rng(3).standard_normal((10, 16)))
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        value = fid_from_statistics(small, small)
    assert value == pytest.approx(0.0, abs=1e-8) and "biased" in caplog.text


def test_statistics_round_trip(tmp_path):
    stats = FeatureStatistics(4).update(np.random.default_rng(4).standard_normal((20, 4)))
    stats.save(tmp_path / "s.npz")
    mu, sigma, count = FeatureStatistics.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(mu, stats.mean)
    np.testing.assert_array_equal(sigma, stats.covariance)
    assert count == 20


def test_kid_is_unbiased_on_identical_distributions():
    from ganzoo.metrics.kid import kernel_inception_distance

    rng = np.random.default_rng(5)
    same_a, same_b = rng.standard_normal((400, 16)), rng.standard_normal((400, 16))
    mean, std = kernel_inception_distance(same_a, same_b, subset_size=200, num_subsets=20)
    assert abs(mean) < std  # zero within the spread of the subset estimates
    shifted = rng.standard_normal((400, 16)) + 1.0
    far, _ = kernel_inception_distance(same_a, shifted, subset_size=200, num_subsets=20)
    assert far > 10 * max(std, 1e-3)


def test_kid_hand_computed_on_tiny_sets():
    from ganzoo.metrics.kid import polynomial_mmd2

    x, y = np.array([[1.0], [0.0]]), np.array([[0.0], [2.0]])
    k = lambda a, b: (a * b + 1) ** 3  # noqa: E731  d = 1
    expected = (2 * k(1, 0)) / 2 + (2 * k(0, 2)) / 2 - 2 * np.mean(
        [k(1, 0), k(1, 2), k(0, 0), k(0, 2)])
    assert polynomial_mmd2(x, y) == pytest.approx(expected)
