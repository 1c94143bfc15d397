"""The shared base: save/load, optimizer state, EMA, the sampler and its input checks."""
import keras
import numpy as np
import pytest

from ganzoo import zoo
from ganzoo.gan import slerp


def test_call_runs_the_generator(tiny_model):
    z = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    images = tiny_model(z).numpy()
    assert images.shape == (3, 16, 16, 3)
    np.testing.assert_array_equal(images, tiny_model.generator(z).numpy())
    assert images.min() >= -1 and images.max() <= 1


def test_metrics_are_the_loss_trackers(tiny_model):
    assert [m.name for m in tiny_model.metrics] == ["d_loss", "g_loss"]


def test_keras_round_trip_is_bit_exact_and_keeps_optimizer_state(tiny_model, tiny_dataset,
                                                                  tmp_path):
    tiny_model.fit(tiny_dataset, steps_per_epoch=3, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    tiny_model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(tiny_model)
    z = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded(z).numpy(), tiny_model(z).numpy())
    np.testing.assert_array_equal(loaded.discriminator(loaded(z)).numpy(),
                                  tiny_model.discriminator(tiny_model(z)).numpy())
    np.testing.assert_array_equal(loaded.sample(5, seed=3), tiny_model.sample(5, seed=3))
    for name in ("d_optimizer", "g_optimizer"):
        before, after = getattr(tiny_model, name), getattr(loaded, name)
        assert int(after.iterations) == int(before.iterations) == 3
        assert len(after.variables) == len(before.variables)
        for a, b in zip(after.variables, before.variables):  # Adam moments included
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # The loaded model keeps training from where it was.
    loaded.fit(tiny_dataset, steps_per_epoch=1, epochs=1, verbose=0)
    assert loaded.train_steps == 4


def test_ema_decay_warms_up_then_stays_at_the_configured_value(tiny_model):
    assert float(tiny_model.ema_decay_at(0)) == pytest.approx(0.1)  # (1+0)/(10+0)
    assert float(tiny_model.ema_decay_at(5)) == pytest.approx(6 / 15)
    assert float(tiny_model.ema_decay_at(10_000)) == pytest.approx(0.9)  # configured decay


def test_ema_update_follows_the_formula(tiny_model):
    tiny_model.g_optimizer.iterations.assign(1000)
    decay = tiny_model.ema_decay
    ema_before = [w.numpy() for w in tiny_model.ema_generator.weights]
    for w in tiny_model.generator.weights:
        w.assign(w + 1.0)
    current = [w.numpy() for w in tiny_model.generator.weights]
    tiny_model.update_ema()
    for ema, old, new in zip(tiny_model.ema_generator.weights, ema_before, current):
        np.testing.assert_allclose(ema.numpy(), decay * old + (1 - decay) * new, rtol=1e-6)


def test_sampling_uses_the_ema_generator(tiny_model):
    z = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    for w in tiny_model.generator.weights:  # move G away from its EMA copy
        w.assign(w * 3.0)
    expected = np.round((tiny_model.ema_generator(z).numpy() + 1) * 127.5)
    np.testing.assert_array_equal(tiny_model.generate(z), expected.astype(np.uint8))


def test_same_seed_same_images_different_seed_different(tiny_model):
    first = tiny_model.sample(6, seed=7)
    assert first.dtype == np.uint8 and first.shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(first, tiny_model.sample(6, seed=7))
    np.testing.assert_array_equal(first, tiny_model.sample(6, seed=7, batch_size=4))
    assert not np.array_equal(first, tiny_model.sample(6, seed=8))


def test_generate_matches_the_generator_in_batches(tiny_model):
    z = tiny_model.latent_noise(10, seed=0)
    expected = np.clip(np.round((tiny_model.sampling_generator(z).numpy() + 1) * 127.5), 0, 255)
    np.testing.assert_array_equal(tiny_model.generate(z, batch_size=3), expected.astype(np.uint8))


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_interpolation_starts_and_ends_at_the_given_points(tiny_model, method):
    z = tiny_model.latent_noise(2, seed=5)
    path = tiny_model.interpolate(5, start=z[0], end=z[1], method=method)
    assert path.shape == (5, 16, 16, 3)
    np.testing.assert_array_equal(path[0], tiny_model.generate(z[:1])[0])
    np.testing.assert_array_equal(path[-1], tiny_model.generate(z[1:])[0])
    np.testing.assert_array_equal(tiny_model.interpolate(5, seed=5, method=method), path)


def test_slerp_keeps_the_norm_between_equal_norm_points():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(64), rng.standard_normal(64)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    midpoint = slerp(a, b, 0.5)
    assert np.linalg.norm(midpoint) == pytest.approx(np.linalg.norm(a), rel=1e-6)
    assert np.linalg.norm(0.5 * (a + b)) < np.linalg.norm(a)  # lerp cuts inside the shell


@pytest.mark.parametrize("n", [0, -3, 2.5, "4", True, None])
def test_sample_rejects_bad_counts(tiny_model, n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        tiny_model.sample(n)


@pytest.mark.parametrize("seed", [1.5, "0", -1, True])
def test_sample_rejects_bad_seeds(tiny_model, seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        tiny_model.sample(2, seed=seed)


def test_sample_accepts_numpy_integers(tiny_model):
    assert tiny_model.sample(np.int64(2), seed=np.int32(1)).shape[0] == 2


def test_generate_rejects_wrong_latent_shape(tiny_model):
    with pytest.raises(ValueError, match=r"z must have shape \(n, 8\)"):
        tiny_model.generate(np.zeros((2, 5), np.float32))


def test_interpolate_rejects_bad_arguments(tiny_model):
    with pytest.raises(ValueError, match="method must be"):
        tiny_model.interpolate(3, method="cubic")
    with pytest.raises(ValueError, match="start must have 8 values"):
        tiny_model.interpolate(3, start=np.zeros(3), end=np.zeros(8))


def test_mismatched_networks_are_refused(tiny_config):
    small = zoo.build(tiny_config)
    tiny_config["image_shape"] = [32, 32, 3]
    large = zoo.build(tiny_config)
    with pytest.raises(ValueError, match="discriminator takes images of shape"):
        type(small)(small.generator, large.discriminator)


def test_fit_with_wrong_image_shape_says_what_was_expected(tiny_model):
    import tensorflow as tf

    wrong = tf.data.Dataset.from_tensor_slices(np.zeros((8, 32, 32, 3), np.float32)).batch(4)
    with pytest.raises(ValueError, match=r"images of shape \(16, 16, 3\)"):
        tiny_model.fit(wrong, epochs=1, verbose=0)


def test_invalid_ema_decay(tiny_model):
    with pytest.raises(ValueError, match="ema_decay must be in"):
        type(tiny_model)(tiny_model.generator, tiny_model.discriminator, ema_decay=1.5)


def test_iter_samples_streams_exactly_what_sample_returns(tiny_model):
    streamed = list(tiny_model.iter_samples(10, seed=4, batch_size=4))
    assert [len(batch) for batch in streamed] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(streamed), tiny_model.sample(10, seed=4))


def test_a_sample_too_large_for_memory_is_refused_with_its_size(tiny_model):
    with pytest.raises(ValueError, match=r"10,000,000 samples .* 7\.5 GiB .*iter_samples"):
        tiny_model.sample(10**7, seed=0)


# ------------------------------------------------------------------ the truncation trick
def test_truncated_noise_is_the_truncated_normal(tiny_model):
    z = tiny_model.latent_noise(10_000, seed=0, truncation=1.0)
    assert np.abs(z).max() <= 1.0
    # Var of N(0, 1) truncated to [-1, 1]: 1 - 2 phi(1) / (2 Phi(1) - 1) = 0.29112.
    assert abs(float(z.var()) - 0.29112) < 0.005
    # Components inside the threshold are the untruncated stream's, the rest redrawn.
    plain = tiny_model.latent_noise(1, seed=0)[0]
    first = tiny_model.latent_noise(1, seed=0, truncation=1.0)[0]
    inside = np.abs(plain) <= 1.0
    np.testing.assert_array_equal(first[inside], plain[inside])


def test_truncated_sampling_is_seeded_and_streams_the_same(tiny_model):
    a = tiny_model.sample(20, seed=3, truncation=0.5)
    np.testing.assert_array_equal(a, tiny_model.sample(20, seed=3, truncation=0.5))
    streamed = np.concatenate(list(tiny_model.iter_samples(20, seed=3, batch_size=7,
                                                           truncation=0.5)))
    np.testing.assert_array_equal(a, streamed)
    assert not np.array_equal(a, tiny_model.sample(20, seed=3))
    z = tiny_model.latent_noise(20, seed=3, truncation=0.5)
    np.testing.assert_array_equal(a, tiny_model.generate(z))


def test_truncated_interpolation_ends_at_truncated_points(tiny_model):
    path = tiny_model.interpolate(4, seed=2, truncation=0.8)
    ends = tiny_model.generate(tiny_model.latent_noise(2, seed=2, truncation=0.8))
    np.testing.assert_array_equal(path[[0, -1]], ends)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), True, "1"])
def test_bad_truncation_values_are_refused(tiny_model, value):
    with pytest.raises(ValueError, match="threshold.*a number > 0"):
        tiny_model.sample(2, truncation=value)


def test_z_space_generate_refuses_truncation_of_given_z(tiny_model):
    with pytest.raises(ValueError, match="truncates its noise when drawing it"):
        tiny_model.generate(tiny_model.latent_noise(2, seed=0), truncation=0.5)
