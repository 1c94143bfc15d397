"""The objectives equal the published formulas, checked against values computed by hand."""
import math

import numpy as np
import pytest

from ganzoo import losses

REAL = np.array([[2.0], [-1.0]], np.float32)  # D(x) = sigmoid(logit)
FAKE = np.array([[0.5], [-3.0]], np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_discriminator_cross_entropy_is_negated_value_function():
    # -E[log D(x)] - E[log(1 - D(G(z)))], Goodfellow et al. 2014 Eq. 1, by hand:
    expected = -(math.log(sigmoid(2.0)) + math.log(sigmoid(-1.0))) / 2 - (
        math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))
    ) / 2
    assert float(losses.discriminator_cross_entropy(REAL, FAKE)) == pytest.approx(expected,
                                                                                rel=1e-6)


def test_generator_non_saturating():
    expected = -(math.log(sigmoid(0.5)) + math.log(sigmoid(-3.0))) / 2
    assert float(losses.generator_non_saturating(FAKE)) == pytest.approx(expected, rel=1e-6)


def test_generator_minimax():
    expected = (math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2
    assert float(losses.generator_minimax(FAKE)) == pytest.approx(expected, rel=1e-6)


def test_losses_stay_finite_for_extreme_logits():
    extreme = np.array([[80.0], [-80.0]], np.float32)
    for value in (losses.discriminator_cross_entropy(extreme, extreme),
                  losses.generator_non_saturating(extreme), losses.generator_minimax(extreme)):
        assert math.isfinite(float(value))
    # A confident, correct D has a near-zero loss: log terms computed without saturation.
    assert float(losses.discriminator_cross_entropy(np.array([[80.0]]), np.array([[-80.0]]))) \
        == pytest.approx(0.0, abs=1e-6)
