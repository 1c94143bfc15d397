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


# ------------------------------------------------------------ the issue-4 objectives
def test_least_squares_lecture_form_and_paper_coding():
    real, fake = np.array([0.5, 2.0]), np.array([-1.0, 0.0])
    # 1/2 E[(D(x)-1)^2] + 1/2 E[(D(G(z))+1)^2] = 1/2 * (0.25+1)/2 + 1/2 * (0+1)/2
    assert float(losses.least_squares_discriminator(real, fake)) == pytest.approx(0.5625)
    assert float(losses.least_squares_generator(fake)) == pytest.approx(0.25)  # 1/2 (1+0)/2
    # 0-1 coding: a=0, b=1, c=1
    assert float(losses.least_squares_discriminator(real, fake, a=0.0, b=1.0)) == \
        pytest.approx(0.5 * 1.25 / 2 + 0.5 * 1.0 / 2)
    assert float(losses.least_squares_generator(fake, c=1.0)) == pytest.approx(0.5 * 5 / 2)


def test_wasserstein_losses():
    real, fake = np.array([[3.0], [1.0]]), np.array([[-1.0], [0.0]])
    assert float(losses.wasserstein_critic(real, fake)) == pytest.approx(-0.5 - 2.0)
    assert float(losses.wasserstein_generator(fake)) == pytest.approx(0.5)


def test_gradient_penalty_on_a_critic_with_known_input_gradient():
    import keras

    # D(x) = sum(w * x): grad_x D = w everywhere, so the penalty is (|w|_2 - 1)^2 exactly.
    inputs = keras.Input((2, 2, 1))
    outputs = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(inputs))
    critic = keras.Model(inputs, outputs)
    w = np.array([[1.0], [2.0], [2.0], [0.0]], np.float32)  # |w| = 3
    critic.layers[-1].kernel.assign(w)
    real = np.random.default_rng(0).standard_normal((4, 2, 2, 1)).astype(np.float32)
    fake = np.random.default_rng(1).standard_normal((4, 2, 2, 1)).astype(np.float32)
    eps = np.random.default_rng(2).uniform(size=(4, 1, 1, 1)).astype(np.float32)
    assert float(losses.gradient_penalty(critic, real, fake, eps)) == pytest.approx(4.0)
    critic.layers[-1].kernel.assign(w / 3.0)  # unit gradient norm: no penalty
    assert float(losses.gradient_penalty(critic, real, fake, eps)) == pytest.approx(0.0,
                                                                                   abs=1e-5)


def test_began_terms_and_k_update():
    images = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    assert float(losses.autoencoder_l1(*images)) == pytest.approx(0.5)
    d, g, k, m = losses.began_losses(real_loss=0.4, fake_loss=0.1, k=0.2, gamma=0.5,
                                     lambda_k=0.001)
    assert float(d) == pytest.approx(0.4 - 0.2 * 0.1) and float(g) == pytest.approx(0.1)
    assert float(k) == pytest.approx(0.2 + 0.001 * (0.2 - 0.1))  # moves up: G too easy
    assert float(m) == pytest.approx(0.4 + 0.1)
    _, _, k_low, _ = losses.began_losses(0.1, 5.0, k=0.0, gamma=0.5, lambda_k=0.1)
    _, _, k_high, _ = losses.began_losses(5.0, 0.0, k=1.0, gamma=0.5, lambda_k=0.1)
    assert float(k_low) == 0.0 and float(k_high) == 1.0  # clipped to [0, 1]


# Nowozin et al. 2016 Table 6 / lecture notes: (g_f(v), f*(t)) evaluated by hand.
F_TABLE = {
    "kl": (lambda v: v, lambda t: math.exp(t - 1)),
    "reverse_kl": (lambda v: -math.exp(-v), lambda t: -1 - math.log(-t)),
    "pearson_chi2": (lambda v: v, lambda t: t * t / 4 + t),
    "squared_hellinger": (lambda v: 1 - math.exp(-v), lambda t: t / (1 - t)),
    "jensen_shannon": (lambda v: math.log(2) - math.log(1 + math.exp(-v)),
                       lambda t: -math.log(2 - math.exp(t))),
    "gan": (lambda v: -math.log(1 + math.exp(-v)), lambda t: -math.log(1 - math.exp(t))),
}


@pytest.mark.parametrize("name", sorted(F_TABLE))
def test_f_divergence_table(name):
    activation, conjugate = F_TABLE[name]
    row = losses.f_divergence(name)
    for v in (-1.5, -0.2, 0.3, 1.7):
        t = activation(v)
        assert float(row["activation"](np.float32(v))) == pytest.approx(t, rel=1e-5, abs=1e-6)
        assert float(row["conjugate"](np.float32(t))) == pytest.approx(conjugate(t), rel=1e-4)
        assert float(row["conjugate_of_activation"](np.float32(v))) == pytest.approx(
            conjugate(t), rel=1e-4, abs=1e-6)
    real, fake = np.array([0.3, -0.2]), np.array([1.7, -1.5])
    expected_f = np.mean([activation(v) for v in real]) - np.mean(
        [conjugate(activation(v)) for v in fake])
    assert float(losses.fgan_discriminator(real, fake, name)) == pytest.approx(-expected_f,
                                                                               rel=1e-4)
    assert float(losses.fgan_generator(fake, name)) == pytest.approx(
        -np.mean([activation(v) for v in fake]), rel=1e-4)
    assert float(losses.fgan_generator(fake, name, alternative=False)) == pytest.approx(
        -np.mean([conjugate(activation(v)) for v in fake]), rel=1e-4)


def test_unknown_f_divergence_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown f-divergence 'tv'.*jensen_shannon"):
        losses.fgan_discriminator(np.zeros(2), np.zeros(2), "tv")


def test_hinge_losses_by_hand():
    real, fake = np.array([2.0, 0.5, -1.0]), np.array([-2.0, 0.0, 1.5])
    # D: mean(max(0, 1 - real)) + mean(max(0, 1 + fake)) = (0 + 0.5 + 2) / 3 + (0 + 1 + 2.5) / 3
    assert float(losses.hinge_discriminator(real, fake)) == pytest.approx(2.5 / 3 + 3.5 / 3)
    assert float(losses.hinge_generator(fake)) == pytest.approx(-(-2.0 + 0.0 + 1.5) / 3)
