"""Improved precision/recall and the Parzen-window log-likelihood against known answers."""
import numpy as np
import pytest

from ganzoo.metrics.parzen import choose_sigma, parzen_log_likelihoods, parzen_score
from ganzoo.metrics.precision_recall import kth_neighbour_radii, precision_recall


def test_identical_sets_have_full_precision_and_recall():
    features = np.random.default_rng(0).standard_normal((300, 8))
    assert precision_recall(features, features) == (1.0, 1.0)


def test_disjoint_clusters_have_zero_precision_and_recall():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((200, 8))
    fake = rng.standard_normal((200, 8)) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_mode_collapse_keeps_precision_but_loses_recall():
    rng = np.random.default_rng(2)
    real = np.concatenate([rng.standard_normal((200, 4)), rng.standard_normal((200, 4)) + 20])
    collapsed = rng.standard_normal((400, 4))  # only the first mode
    precision, recall = precision_recall(real, collapsed)
    assert precision > 0.9 and 0.4 < recall < 0.6


def test_kth_neighbour_radii_by_hand():
    points = np.array([[0.0], [1.0], [3.0], [6.0]])
    # squared distances to the 2nd nearest other point: 0->3 (9), 1->3 (4), 3->0 (9), 6->1 (25)
    np.testing.assert_allclose(kth_neighbour_radii(points, k=2), [9.0, 4.0, 9.0, 25.0])


def test_parzen_single_centre_is_the_gaussian_density():
    centre = np.array([[0.2, 0.4, 0.6]])
    x = np.array([[0.0, 0.5, 1.0], [0.2, 0.4, 0.6]])
    sigma = 0.3
    expected = -np.sum((x - centre) ** 2, 1) / (2 * sigma**2) - 1.5 * np.log(2 * np.pi * sigma**2)
    np.testing.assert_allclose(parzen_log_likelihoods(centre, x, sigma), expected, rtol=1e-12)


def test_parzen_of_gaussian_samples_approaches_the_analytic_likelihood():
    # Parzen(N(0, s^2 I), sigma) -> N(0, (s^2 + sigma^2) I) as the number of centres grows.
    rng = np.random.default_rng(3)
    s, sigma, d = 1.0, 0.5, 2
    samples = rng.standard_normal((20000, d)) * s
    test = rng.standard_normal((2000, d)) * s
    variance = s**2 + sigma**2
    analytic = np.mean(-np.sum(test**2, 1) / (2 * variance) - d / 2 * np.log(2 * np.pi * variance))
    assert parzen_log_likelihoods(samples, test, sigma).mean() == pytest.approx(analytic, abs=0.02)


def test_sigma_is_chosen_on_validation_and_score_has_standard_error():
    rng = np.random.default_rng(4)
    samples = rng.standard_normal((2000, 2)) * 0.1
    validation, test = rng.standard_normal((500, 2)) * 0.1, rng.standard_normal((500, 2)) * 0.1
    sigma, scores = choose_sigma(samples, validation, sigmas=[0.001, 0.03, 1.0])
    assert sigma == 0.03 and scores[0.03] > max(scores[0.001], scores[1.0])
    mean, stderr, chosen = parzen_score(samples, validation, test, sigmas=[0.001, 0.03, 1.0])
    assert chosen == 0.03 and 0 < stderr < abs(mean)


def test_evaluate_parzen_follows_the_protocol(tmp_path, tiny_config):
    from conftest import blob_images
    from ganzoo import zoo
    from ganzoo.metrics.parzen import evaluate_parzen

    images = blob_images(30, size=16)
    np.savez(tmp_path / "d.npz", x_train=images[:20], x_test=images[20:])
    model = zoo.build(tiny_config, seed=0)
    result = evaluate_parzen(model, tmp_path / "d.npz", num_samples=50,
                             validation_split="train[10:]", sigmas=[0.1, 0.3])
    assert result["n_validation"] == 10 and result["n_test"] == 10
    assert result["sigma"] in (0.1, 0.3) and np.isfinite(result["log_likelihood"])
    np.savez(tmp_path / "wrong.npz", x_train=blob_images(20, size=8), x_test=images[:5])
    with pytest.raises(ValueError, match="Parzen needs data of the model's shape"):
        evaluate_parzen(model, tmp_path / "wrong.npz", num_samples=5,
                        validation_split="train[10:]")
