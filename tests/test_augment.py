"""DiffAugment (Zhao et al. 2020): each family's effect with fixed draws, differentiability,
and that D sees real and generated images through the same policy in both players' steps."""
import json

import numpy as np
import pytest
import tensorflow as tf

from conftest import TINY_CONFIG, blob_images
from ganzoo import zoo
from ganzoo.augment import diff_augment, parse_policy


def constant(value):
    return lambda tail: tf.fill((2, *tail), value)


def images():
    return tf.constant(blob_images(2).astype(np.float32) / 127.5 - 1.0)


def test_policy_names_are_checked_and_put_in_the_papers_order():
    assert parse_policy("cutout,color") == ("color", "cutout")
    assert parse_policy(None) == () and parse_policy("") == ()
    with pytest.raises(ValueError, match="color, translation, cutout"):
        parse_policy("color,flip")


def test_color_at_the_middle_draw_is_the_identity_and_moves_otherwise():
    x = images()
    np.testing.assert_allclose(diff_augment(x, ("color",), constant(0.5)), x, atol=1e-6)
    # brightness U=0.9 adds 0.4; saturation and contrast U=0.9 scale by 1.8 and 1.4
    brighter = diff_augment(x, ("color",), constant(0.9)).numpy()
    y = x.numpy() + 0.4
    mean = y.mean(axis=3, keepdims=True)
    y = (y - mean) * 1.8 + mean
    mean = y.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(brighter, (y - mean) * 1.4 + mean, atol=1e-5)


def test_translation_shifts_with_zero_fill():
    x = images()  # 16x16: shift up to int(16 / 8 + 0.5) = 2 pixels
    shifted = diff_augment(x, ("translation",), constant(0.999)).numpy()  # the largest: +2
    expected = np.zeros_like(x.numpy())
    expected[:, :-2, :-2] = x.numpy()[:, 2:, 2:]
    np.testing.assert_array_equal(shifted, expected)
    np.testing.assert_array_equal(diff_augment(x, ("translation",), constant(0.5)), x)


def test_cutout_zeroes_a_half_side_square():
    x = images() + 5.0  # no zero pixels before
    cut = diff_augment(x, ("cutout",), constant(0.0)).numpy()  # centre at the corner
    zero = cut == 0
    assert zero[:, :4, :4].all() and zero.sum() == 2 * 4 * 4 * 3  # 8x8 square, 3/4 outside


def test_every_family_is_differentiable():
    x = tf.Variable(images())
    draws = tf.random.stateless_uniform((2, 3), seed=(1, 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(diff_augment(x, parse_policy("color,translation,cutout"),
                                          lambda tail: draws[:, :tail[0]]) ** 2)
    gradient = tape.gradient(loss, x).numpy()
    assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0


def _model(variant, augment):
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(variant=variant, augment=augment)
    return zoo.build(config, seed=0)


@pytest.mark.parametrize("variant", ["dcgan", "sngan", "wgan-gp", "lsgan"])
def test_d_sees_real_and_fake_through_the_policy_in_both_steps(variant):
    model = _model(variant, "cutout")
    seen = []
    original = model.seen_by_discriminator

    def spy(batch):
        out = original(batch)
        seen.append(bool(tf.reduce_any(tf.equal(out, 0.0))))  # a cut-out square is zero
        return out

    model.seen_by_discriminator = spy
    model.train_step(images())
    steps = {"wgan-gp": 5}.get(variant, 1)  # critic steps, each on real and fake
    assert seen == [True] * (2 * steps + 1)  # ... and G's step on its fakes


def test_without_a_policy_d_sees_the_images_themselves():
    model = _model("dcgan", None)
    x = images()
    assert model.seen_by_discriminator(x) is x
