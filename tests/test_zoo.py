"""The registry: listing, building, loading verified weights, and its errors."""
import json

import numpy as np
import pytest

import ganzoo
from ganzoo import publish, registry, zoo


def test_real_zoo_lists_dcgan_anime(monkeypatch):
    monkeypatch.delenv("GANZOO_HOME", raising=False)
    assert "dcgan-anime" in ganzoo.list_models()
    config = ganzoo.get_config("dcgan-anime")
    assert config["variant"] == "dcgan" and config["image_shape"] == [64, 64, 3]


def test_every_real_entry_builds_with_its_declared_shape(monkeypatch):
    monkeypatch.delenv("GANZOO_HOME", raising=False)
    for name in ganzoo.list_models():
        model = ganzoo.build(name)
        config = ganzoo.get_config(name)
        assert model.image_shape == tuple(config["image_shape"])
        if "source_shape" in config:  # image-to-image
            assert model.source_shape == tuple(config["source_shape"])
            continue
        assert model.latent_dim == config["latent_dim"]
        learning_rate = config["optimizers"]["d"]["config"]["learning_rate"]
        if isinstance(learning_rate, dict):  # a serialized schedule: the optimizer carries it
            built = model.d_optimizer.get_config()["learning_rate"]
            assert (built["class_name"], built["config"]) == (
                learning_rate["class_name"], learning_rate["config"])
        else:
            assert model.d_optimizer.learning_rate.numpy() == pytest.approx(learning_rate)


def test_build_is_compiled_and_fresh(tmp_zoo):
    model = ganzoo.build("tiny-dcgan")
    assert model.train_steps == 0
    assert model.g_optimizer is not model.d_optimizer


def test_load_uses_the_shipped_weights(tmp_zoo):
    model = ganzoo.load("tiny-dcgan")
    reference = ganzoo.build("tiny-dcgan")
    reference.sampling_generator.load_weights(
        tmp_zoo / "pretrained" / "tiny-dcgan" / "generator.weights.h5")
    np.testing.assert_array_equal(model.sample(4, seed=0), reference.sample(4, seed=0))
    assert model.sample(4, seed=0).shape == (4, 16, 16, 3)


def test_load_is_sampling_only_unless_for_training(tmp_zoo):
    sampler = ganzoo.load("tiny-dcgan")
    trainer = ganzoo.load("tiny-dcgan", for_training=True)
    # Sampling-only: no optimizers and no EMA copy, yet the same images as the full model.
    assert not sampler.compiled and sampler.ema_generator is None
    assert trainer.compiled and trainer.ema_generator is not None
    np.testing.assert_array_equal(sampler.sample(3, seed=2), trainer.sample(3, seed=2))
    images = np.zeros((8, 16, 16, 3), np.float32)
    with pytest.raises(RuntimeError, match="for_training=True"):
        sampler.fit(images, epochs=1, verbose=0)
    before = trainer.generator.get_weights()[0].copy()
    trainer.fit(images, batch_size=8, epochs=1, verbose=0)
    assert not np.array_equal(before, trainer.generator.get_weights()[0])


def test_unknown_name_lists_close_matches(tmp_zoo):
    with pytest.raises(zoo.UnknownModelError, match="Did you mean tiny-dcgan") as info:
        ganzoo.load("tiny-dcgna")
    assert "Available: tiny-dcgan" in str(info.value)


def test_checksum_mismatch_is_refused_before_loading(tmp_zoo):
    weights = tmp_zoo / "pretrained" / "tiny-dcgan" / "generator.weights.h5"
    config = json.loads((tmp_zoo / "zoo_configs" / "tiny-dcgan.json").read_text())
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.WeightsError) as info:
        ganzoo.load("tiny-dcgan")
    message = str(info.value)
    assert str(weights) in message and config["weights"]["sha256"] in message
    assert zoo.sha256_of(weights) in message and "not loaded" in message


def test_missing_weights_file(tmp_zoo):
    (tmp_zoo / "pretrained" / "tiny-dcgan" / "generator.weights.h5").unlink()
    with pytest.raises(zoo.WeightsError, match="is missing"):
        ganzoo.load("tiny-dcgan")


def test_entry_without_weights_says_to_train(tmp_zoo):
    path = tmp_zoo / "zoo_configs" / "tiny-dcgan.json"
    config = json.loads(path.read_text())
    config["weights"] = None
    path.write_text(json.dumps(config))
    with pytest.raises(zoo.WeightsError, match="has no pretrained weights yet"):
        ganzoo.load("tiny-dcgan")


def test_publish_copies_weights_and_records_checksum(tmp_zoo, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = ganzoo.build("tiny-dcgan", seed=5)
    model.sampling_generator.save_weights(run_dir / "generator.weights.h5")
    config = publish.publish(run_dir, "tiny-dcgan", record={"steps": 7, "notes": "n"})
    assert config["training"]["steps"] == 7 and config["training"]["batch_size"] == 8
    assert "notes" not in config["training"]  # the config keeps the recipe only
    record = registry.training_record("tiny-dcgan")
    assert record == {"weights_sha256": config["weights"]["sha256"], "steps": 7, "notes": "n"}
    assert ganzoo.get_config("tiny-dcgan")["weights"]["sha256"] == config["weights"]["sha256"]
    np.testing.assert_array_equal(ganzoo.load("tiny-dcgan").sample(2, seed=1),
                                  model.sample(2, seed=1))


def test_publish_in_float16_halves_the_file_and_loads_into_float32(tmp_zoo, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = ganzoo.build("tiny-dcgan", seed=5)
    source = run_dir / "generator.weights.h5"
    model.sampling_generator.save_weights(source)
    config = publish.publish(run_dir, "tiny-dcgan", float16=True)
    assert config["weights"]["stored_as"] == "float16"
    assert config["weights"]["bytes"] < source.stat().st_size  # tiny model: mostly headers
    import h5py

    arrays = []
    with h5py.File(zoo.zoo_root() / "pretrained" / config["weights"]["file"]) as f:
        f.visititems(lambda name, item: arrays.append(item.dtype)
                     if isinstance(item, h5py.Dataset) else None)
    assert arrays and all(dtype == np.float16 for dtype in arrays)
    loaded = ganzoo.load("tiny-dcgan").sampling_generator.get_weights()
    for original, restored in zip(model.sampling_generator.get_weights(), loaded):
        assert restored.dtype == original.dtype == np.float32
        np.testing.assert_array_equal(restored, original.astype(np.float16).astype(np.float32))


def _finished_run(run_dir, config, steps=7):
    run_dir.mkdir()
    model = ganzoo.build(config, seed=5)
    model.sampling_generator.save_weights(run_dir / "generator.weights.h5")
    run = {"data_seed": 3, "precision": "mixed_bfloat16", "data": "faces.zip", "batch_size": 4}
    (run_dir / "config.json").write_text(json.dumps({**config, "run": run}))
    (run_dir / "state.json").write_text(json.dumps(
        {"step": steps, "images_seen": 4 * steps, "wall_time_s": 2.1}))
    return model


def test_publish_run_records_how_the_weights_were_made(tmp_zoo, tmp_path):
    config = ganzoo.get_config("tiny-dcgan")
    recipe = {**config, "discriminator": {"type": "mlp", "hidden": [16]}, "ema_decay": 0.5}
    model = _finished_run(tmp_path / "run", recipe)
    published = publish.publish_run(tmp_path / "run", "tiny-dcgan", notes="why")
    assert published["discriminator"] == {"type": "mlp", "hidden": [16]}  # replaced, not merged
    assert published["ema_decay"] == 0.5
    training = registry.training_record("tiny-dcgan")
    assert published["training"] == {"batch_size": 4, "steps": 7, "checkpoint_every": 2}
    assert training["command"] == ("ganzoo train tiny-dcgan --data faces.zip --steps 7 --seed 3 "
                                   "--batch_size 4 --precision mixed_bfloat16 --out runs/tiny-dcgan")
    assert (training["steps"], training["images_seen"], training["seconds_per_step"]) == (7, 28, 0.3)
    assert training["notes"] == "why" and "run" not in published
    assert ganzoo.get_config("tiny-dcgan") == published
    np.testing.assert_array_equal(ganzoo.load("tiny-dcgan").sample(2, seed=1),
                                  model.sample(2, seed=1))


def test_publish_run_of_a_grown_run_records_its_parent(tmp_zoo, tmp_path):
    config = ganzoo.get_config("tiny-dcgan")
    _finished_run(tmp_path / "run", config)
    run_config = json.loads((tmp_path / "run" / "config.json").read_text())
    run_config["run"]["init_from"] = {"run": "runs/narrow", "step": 50, "images_seen": 200,
                                      "wall_time_s": 10.05, "method": "widening"}
    (tmp_path / "run" / "config.json").write_text(json.dumps(run_config))
    publish.publish_run(tmp_path / "run", "tiny-dcgan")
    training = registry.training_record("tiny-dcgan")
    assert "--init_from runs/narrow " in training["command"]
    assert training["init_from"]["step"] == 50
    # 7 steps x 4 images and 2.1 s of its own, on top of the parent's.
    assert (training["total_images_seen"], training["total_wall_time_s"]) == (228, 12.2)
    # A parent whose state did not record them (older runs): no totals, not an error.
    run_config["run"]["init_from"].update(images_seen=None, wall_time_s=None)
    (tmp_path / "run" / "config.json").write_text(json.dumps(run_config))
    publish.publish_run(tmp_path / "run", "tiny-dcgan")
    assert "total_images_seen" not in registry.training_record("tiny-dcgan")


def test_publish_run_refuses_a_different_generator(tmp_zoo, tmp_path):
    config = ganzoo.get_config("tiny-dcgan")
    _finished_run(tmp_path / "run", {**config, "latent_dim": config["latent_dim"] + 1})
    before = ganzoo.get_config("tiny-dcgan")
    with pytest.raises(ValueError, match="latent_dim .* would not load"):
        publish.publish_run(tmp_path / "run", "tiny-dcgan")
    assert ganzoo.get_config("tiny-dcgan") == before
    with pytest.raises(FileNotFoundError, match="not a finished ganzoo training run"):
        publish.publish_run(tmp_path, "tiny-dcgan")


def test_record_quality_keeps_each_fid_protocol(tmp_zoo):
    small = {"entry": "tiny-dcgan", "fid": 80.0, "n_fake": 2000, "n_real": 2000,
             "real_source": "reference:blobs", "seed": 0}
    large = {"entry": "tiny-dcgan", "fid": 50.0, "kid": 0.01, "n_fake": 10000,
             "n_real": 33399, "real_source": "faces.zip", "seed": 0}
    publish.record_quality("tiny-dcgan", small)
    publish.record_quality("tiny-dcgan", {"classifier": {"entropy": 2.3}})
    quality = publish.record_quality("tiny-dcgan", large)["quality"]
    assert quality["fid"] == 50.0 and quality["classifier"] == {"entropy": 2.3}
    protocols = quality["by_protocol"]
    assert protocols["2000 vs 2000 reference:blobs"]["fid"] == 80.0
    assert protocols["10000 vs 33399 faces.zip"]["kid"] == 0.01
    assert "entry" not in protocols["10000 vs 33399 faces.zip"]
    # A smaller protocol recorded later is kept beside the headline, not over it.
    paired = {"entry": "tiny-dcgan", "fid": 57.0, "n_fake": 2000, "n_real": 33399,
              "real_source": "faces.zip", "seed": 0}
    quality = publish.record_quality("tiny-dcgan", paired)["quality"]
    assert (quality["fid"], quality["n_fake"], quality["kid"]) == (50.0, 10000, 0.01)
    assert quality["by_protocol"]["2000 vs 33399 faces.zip"]["fid"] == 57.0


def test_publishing_new_weights_retires_the_old_quality(tmp_zoo, tmp_path):
    publish.record_quality("tiny-dcgan", {"fid": 99.0, "n_fake": 10, "n_real": 10,
                                      "real_source": "x"})
    old_sha = ganzoo.get_config("tiny-dcgan")["weights"]["sha256"]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    ganzoo.build("tiny-dcgan", seed=6).sampling_generator.save_weights(
        run_dir / "generator.weights.h5")
    config = publish.publish(run_dir, "tiny-dcgan")
    assert "quality" not in config and "previous_quality" not in config
    previous = registry.training_record("tiny-dcgan")["previous_quality"]
    assert previous["fid"] == 99.0 and previous["weights_sha256"] == old_sha


def test_every_shipped_entry_has_a_recipe_config_and_a_record_beside_its_weights():
    """Configs hold architecture, recipe, weights hash and quality; how the weights were made
    is pretrained/<name>/training-record.json, naming the weights it describes."""
    for name in registry.list_models():
        config = registry.get_config(name)
        assert set(config.get("training", {})) <= set(registry.TRAINING_RECIPE), name
        assert "previous_quality" not in config and "objective_note" not in config, name
        record = registry.training_record(name)
        if config.get("weights"):
            assert record["weights_sha256"] == config["weights"]["sha256"], name
            assert record["command"].startswith(f"ganzoo train {name} "), name


def test_publish_run_takes_the_generator_from_a_state_only_copy(tmp_zoo, tiny_model,
                                                                tiny_dataset, tmp_path):
    """checkpoints/NAME keeps the resumable state (checkpoint, state, config) but not the
    generator file the training loop writes beside it: publish takes it from the checkpoint."""
    import shutil

    from conftest import run_cli
    from ganzoo import training

    run, copy = tmp_path / "run", tmp_path / "state-only"
    training.fit_gan(tiny_model, tiny_dataset, 4, run, batch_size=8, checkpoint_every=2,
                     verbose=0)
    run_record = {"data": "faces.zip", "batch_size": 8, "precision": "float32"}
    (run / "config.json").write_text(json.dumps({**ganzoo.get_config("tiny-dcgan"),
                                                 "run": run_record}))
    copy.mkdir()
    for name in ("checkpoint.keras", "state.json", "config.json"):
        shutil.copy(run / name, copy / name)
    (copy / "state.json").write_text(json.dumps({"step": 2, "images_seen": 16}))
    with pytest.raises(training.CheckpointError, match="at step 4, state.json says 2"):
        publish.publish_run(copy, "tiny-dcgan")
    shutil.copy(run / "state.json", copy / "state.json")
    # As `ganzoo publish` runs it: a fresh process that has built no model yet.
    published = run_cli("publish", "tiny-dcgan", "--run", str(copy), subprocess=True)
    assert published.returncode == 0, published.stderr
    assert registry.training_record("tiny-dcgan")["steps"] == 4
    np.testing.assert_array_equal(ganzoo.load("tiny-dcgan").sample(3, seed=1),
                                  tiny_model.sample(3, seed=1))


def test_publish_records_results_measured_on_exactly_the_published_weights(
        tmp_zoo, tiny_model, tiny_dataset, tmp_path):
    """`ganzoo evaluate NAME --run RUN --out F` then `ganzoo publish NAME --run RUN --quality F`:
    the run's results become the entry's quality, but only for the weights they measured."""
    from conftest import run_cli
    from ganzoo import cli, training

    run = tmp_path / "run"
    training.fit_gan(tiny_model, tiny_dataset, 4, run, batch_size=8, checkpoint_every=2,
                     verbose=0)
    (run / "config.json").write_text(json.dumps({
        **ganzoo.get_config("tiny-dcgan"),
        "run": {"data": "faces.zip", "batch_size": 8, "precision": "float32"}}))
    # As `ganzoo evaluate --run` describes the weights it scored (restored from the checkpoint).
    measured = cli.measured_on(cli.model_for_sampling("tiny-dcgan", str(run)), str(run))
    assert measured["weights"] == f"run {run} at step 4"
    results = {"entry": "tiny-dcgan", "fid": 12.5, "n_fake": 10, "n_real": 10,
               "real_source": "x", "measured_on": measured}
    (tmp_path / "good.json").write_text(json.dumps(results))
    (tmp_path / "old.json").write_text(json.dumps({**results, "measured_on": None}))
    before = ganzoo.get_config("tiny-dcgan")
    shipped = zoo.zoo_root() / "pretrained" / "tiny-dcgan"
    files_before = sorted(p.name for p in shipped.iterdir())

    # A half-precision copy is not what was measured; results without a fingerprint neither.
    for extra, message in ((["--quality", str(tmp_path / "good.json"), "--float16"],
                            "measured on other weights"),
                           (["--quality", str(tmp_path / "old.json")],
                            "does not say which weights it measured")):
        refused = run_cli("publish", "tiny-dcgan", "--run", str(run), *extra)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert ganzoo.get_config("tiny-dcgan") == before  # nothing written
        assert sorted(p.name for p in shipped.iterdir()) == files_before

    published = run_cli("publish", "tiny-dcgan", "--run", str(run), "--quality",
                        str(tmp_path / "good.json"))
    assert published.returncode == 0, published.stderr
    quality = ganzoo.get_config("tiny-dcgan")["quality"]
    assert quality["fid"] == 12.5 and quality["by_protocol"]["10 vs 10 x"]["fid"] == 12.5
    assert "measured_on" not in quality and "entry" not in quality
    assert cli.measured_on(ganzoo.load("tiny-dcgan"), None)["weights_fingerprint"] == \
        measured["weights_fingerprint"]


def test_evaluate_record_refuses_a_run_before_measuring(tmp_zoo, tmp_path):
    from conftest import run_cli

    refused = run_cli("evaluate", "tiny-dcgan", "--run", str(tmp_path / "missing"), "--record")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"ganzoo publish tiny-dcgan --run {tmp_path / 'missing'} --quality FILE" in \
        refused.stderr


def test_weights_fingerprint_follows_the_values_not_the_file(tiny_model):
    first = publish.weights_fingerprint(tiny_model.generator)
    assert first == publish.weights_fingerprint(tiny_model.generator)
    weights = tiny_model.generator.get_weights()
    weights[0] = weights[0] + np.float32(1e-6)  # one value off in the last bits
    tiny_model.generator.set_weights(weights)
    assert publish.weights_fingerprint(tiny_model.generator) != first
