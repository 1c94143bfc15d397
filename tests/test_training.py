"""Checkpointing, resuming and the non-finite-loss guard."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo import training, zoo


def _fit(model, dataset, steps, run_dir):
    return training.fit_gan(model, dataset, steps, run_dir, batch_size=8, checkpoint_every=2,
                            verbose=0)


def test_checkpoints_samples_and_logs(tiny_model, tiny_dataset, tmp_path):
    _fit(tiny_model, tiny_dataset, 5, tmp_path)
    assert tiny_model.train_steps == 5  # stops exactly, not at the end of a 2-step "epoch"
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["step"] == 5 and state["images_seen"] == 40 and state["wall_time_s"] > 0
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_0000002.png", "step_0000004.png", "step_0000005.png"]
    assert any((tmp_path / "logs").rglob("events.out.tfevents.*"))
    restored = training.restore(tmp_path)
    assert restored.train_steps == 5
    z = tiny_model.latent_noise(3, seed=0)
    np.testing.assert_array_equal(restored.generate(z), tiny_model.generate(z))
    weights = zoo.build(dict(json.loads(json.dumps(_config_of(tiny_model)))))
    weights.sampling_generator.load_weights(tmp_path / "generator.weights.h5")
    np.testing.assert_array_equal(weights.generate(z), tiny_model.generate(z))
    assert not list(tmp_path.glob("*.tmp*"))  # temp files were all renamed


def _config_of(model):
    from conftest import TINY_CONFIG

    return TINY_CONFIG


def test_resume_continues_with_optimizer_state(tiny_model, tiny_dataset, tmp_path):
    _fit(tiny_model, tiny_dataset, 4, tmp_path)
    resumed = training.restore(tmp_path)
    assert int(resumed.d_optimizer.iterations) == 4 and int(resumed.g_optimizer.iterations) == 4
    np.testing.assert_array_equal(resumed.seed_generator.state.numpy(),
                                  tiny_model.seed_generator.state.numpy())
    _fit(resumed, tiny_dataset, 6, tmp_path)
    assert training.read_state(tmp_path)["step"] == 6
    assert training.read_state(tmp_path)["images_seen"] == 48
    assert training.restore(tmp_path).train_steps == 6
    assert _fit(resumed, tiny_dataset, 6, tmp_path) is None  # already done: no-op


def test_damaged_latest_checkpoint_falls_back_to_previous(tiny_model, tiny_dataset, tmp_path):
    _fit(tiny_model, tiny_dataset, 4, tmp_path)
    latest = (tmp_path / "checkpoint.keras").read_bytes()
    (tmp_path / "checkpoint.keras").write_bytes(latest[:len(latest) // 2])  # cut mid-write
    assert training.restore(tmp_path).train_steps == 2
    # The damaged file is kept aside, so the next save cannot rotate it over the good one.
    assert (tmp_path / "checkpoint.damaged.keras").read_bytes() == latest[:len(latest) // 2]
    assert not (tmp_path / "checkpoint.keras").exists()
    assert training.restore(tmp_path).train_steps == 2
    assert training.restore(tmp_path / "empty") is None


def test_unreadable_checkpoints_are_refused_and_kept(tiny_model, tiny_dataset, tmp_path):
    _fit(tiny_model, tiny_dataset, 4, tmp_path)
    for name in ("checkpoint.keras", "checkpoint.prev.keras"):
        (tmp_path / name).write_bytes(b"")  # both truncated
    with pytest.raises(training.CheckpointError) as error:
        training.restore(tmp_path)
    message = str(error.value)
    assert "checkpoint.keras (0 bytes" in message and "checkpoint.prev.keras (0 bytes" in message
    assert "Nothing was changed" in message
    assert "truncated or damaged" in message and "File not found" not in message
    assert [(tmp_path / n).stat().st_size for n in ("checkpoint.keras",
                                                     "checkpoint.prev.keras")] == [0, 0]


class _PoisonAfter(keras.callbacks.Callback):
    """Makes the discriminator produce NaN from step `step` on (a diverging run)."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_begin(self, batch, logs=None):
        if self.model.train_steps == self.step:
            kernel = self.model.discriminator.layers[-1].kernel
            kernel.assign(tf.fill(kernel.shape, float("nan")))


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tiny_model, tiny_dataset,
                                                               tmp_path):
    with pytest.raises(training.NonFiniteLossError, match=r"d_loss became nan at training step 3"):
        training.fit_gan(tiny_model, tiny_dataset, 10, tmp_path, batch_size=8,
                         checkpoint_every=2, verbose=0, callbacks=[_PoisonAfter(2)])
    good = training.restore(tmp_path)
    assert good.train_steps == 2
    kernel = good.discriminator.layers[-1].kernel.numpy()
    assert np.isfinite(kernel).all()


def test_disk_full_while_checkpointing_is_a_clear_error_and_keeps_the_last_one(
        tiny_model, tiny_dataset, tmp_path, monkeypatch):
    _fit(tiny_model, tiny_dataset, 2, tmp_path)
    save = type(tiny_model).save

    def full_disk(model, path, *args, **kwargs):
        save(model, path, *args, **kwargs)  # a partial file exists when the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(tiny_model), "save", full_disk)
    with pytest.raises(training.CheckpointError,
                       match=r"step-4 checkpoint .*No space left.*\(step 2\) is intact"):
        _fit(tiny_model, tiny_dataset, 4, tmp_path)
    monkeypatch.undo()
    assert training.restore(tmp_path).train_steps == 2
    assert not list(tmp_path.glob("*.tmp.*"))  # no half-written files left behind


def test_resume_into_a_rebuilt_model_carries_the_whole_state(tiny_config, tiny_model,
                                                              tiny_dataset, tmp_path):
    """A run continued under another dtype policy and with DiffAugment added: every variable
    (weights, EMA, both optimizers' moments and step) and the noise stream arrive bit-exact."""
    _fit(tiny_model, tiny_dataset, 3, tmp_path)
    rebuilt_config = dict(tiny_config, augment="translation,cutout")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        resumed = training.restore(tmp_path, build=lambda: zoo.build(rebuilt_config))
        assert resumed.dtype_policy.name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert resumed.augment_policy == ("translation", "cutout")
    assert resumed.train_steps == 3
    saved = training._state_variables(tiny_model)
    loaded = training._state_variables(resumed)
    assert len(saved) == len(loaded) > 20
    for a, b in zip(saved, loaded):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    np.testing.assert_array_equal(resumed.seed_generator.state.numpy(),
                                  tiny_model.seed_generator.state.numpy())
    _fit(resumed, tiny_dataset, 5, tmp_path)  # and it trains on
    assert training.read_state(tmp_path)["step"] == 5


def test_resume_with_a_new_learning_rate_or_schedule_takes_the_recipes(tiny_config,
                                                                       tiny_model,
                                                                       tiny_dataset, tmp_path):
    """The learning rate is recipe, not state: a continued run gets the rebuilt model's rate
    (a float replaced, or a decay schedule, which has no variable), with the moments and
    step carried over rather than the checkpoint's old rate written back."""
    _fit(tiny_model, tiny_dataset, 4, tmp_path)
    decay = {"class_name": "ConstantThenLinearDecay", "registered_name":
             "ganzoo>ConstantThenLinearDecay",
             "config": {"initial": 1e-3, "constant_steps": 4, "decay_steps": 4}}
    optimizers = {"d": {"class_name": "Adam", "config": {"learning_rate": 2.5e-4,
                                                          "beta_1": 0.5}},
                  "g": {"class_name": "Adam", "config": {"learning_rate": decay,
                                                          "beta_1": 0.5}}}
    resumed = training.restore(tmp_path, build=lambda: zoo.build(
        dict(tiny_config, optimizers=optimizers)))
    assert float(resumed.d_optimizer.learning_rate) == pytest.approx(2.5e-4)  # not 1e-3
    moments = [v for v in tiny_model.g_optimizer.variables if "momentum" in v.path]
    loaded = [v for v in resumed.g_optimizer.variables if "momentum" in v.path]
    assert len(moments) == len(loaded) > 0
    for a, b in zip(moments, loaded):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(resumed.g_optimizer.iterations) == 4
    # Step 4 of a 4 + 4 schedule: still the initial rate; two steps on, half of it.
    assert float(resumed.g_optimizer.learning_rate) == pytest.approx(1e-3)
    history = _fit(resumed, tiny_dataset, 8, tmp_path)
    assert float(resumed.g_optimizer.learning_rate) == pytest.approx(0.0)
    # The scheduled rate is logged at each checkpoint (steps 6 and 8); the constant one is not.
    assert history.history["g_learning_rate"] == pytest.approx([5e-4, 0.0])
    assert "d_learning_rate" not in history.history
    events = "".join(p.read_bytes().decode("latin-1") for p in tmp_path.glob("logs/train/*"))
    assert "g_learning_rate" in events  # TensorBoard got it too


def test_resume_into_a_different_architecture_is_refused(tiny_config, tiny_model,
                                                         tiny_dataset, tmp_path):
    _fit(tiny_model, tiny_dataset, 2, tmp_path)
    before = (tmp_path / "checkpoint.keras").read_bytes()
    wider = dict(tiny_config, generator={"type": "dcgan", "base_filters": 8})
    with pytest.raises(training.CheckpointMismatchError, match="does not fit the rebuilt"):
        training.restore(tmp_path, build=lambda: zoo.build(wider))
    assert (tmp_path / "checkpoint.keras").read_bytes() == before
