"""Shared fixtures: tiny models, tiny data, and a throw-away zoo (GANZOO_HOME) so tests never
depend on the size of the real entries."""
import json
import os
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from ganzoo import zoo  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(REPO_ROOT, "..", "shared", "data")

TINY_CONFIG = {
    "name": "tiny-dcgan",
    "description": "16x16 DCGAN for tests",
    "variant": "dcgan",
    "latent_dim": 8,
    "image_shape": [16, 16, 3],
    "generator": {"type": "dcgan", "base_filters": 4},
    "discriminator": {"type": "dcgan", "base_filters": 4},
    "objective": {},
    "ema_decay": 0.9,
    "optimizers": {
        "d": {"class_name": "Adam", "config": {"learning_rate": 0.001, "beta_1": 0.5}},
        "g": {"class_name": "Adam", "config": {"learning_rate": 0.001, "beta_1": 0.5}},
    },
    "data": {"source": "synthetic", "description": "made in tests"},
    "training": {"batch_size": 8, "checkpoint_every": 2},
    "weights": None,
}


@pytest.fixture
def tiny_config():
    return json.loads(json.dumps(TINY_CONFIG))


@pytest.fixture
def tiny_model(tiny_config):
    keras.utils.set_random_seed(0)
    return zoo.build(tiny_config, seed=1)


def blob_images(n=32, size=16, channels=3, seed=0):
    """uint8 images of bright squares on a dark background: trivially learnable structure."""
    rng = np.random.default_rng(seed)
    images = np.full((n, size, size, channels), 20, np.uint8)
    for image in images:
        top, left = rng.integers(0, size // 2, 2)
        image[top : top + size // 2, left : left + size // 2] = rng.integers(150, 255, channels)
    return images


@pytest.fixture
def tiny_dataset():
    images = blob_images(32).astype(np.float32) / 127.5 - 1.0
    return tf.data.Dataset.from_tensor_slices(images).batch(8, drop_remainder=True).repeat()


@pytest.fixture
def tmp_zoo(tmp_path, monkeypatch, tiny_config):
    """A zoo root with the tiny entry and real (freshly initialised) weights plus checksum."""
    (tmp_path / "zoo_configs").mkdir()
    (tmp_path / "pretrained" / "tiny-dcgan").mkdir(parents=True)
    keras.utils.set_random_seed(0)
    model = zoo.build(tiny_config, seed=1)
    weights = tmp_path / "pretrained" / "tiny-dcgan" / "generator.weights.h5"
    model.sampling_generator.save_weights(weights)
    tiny_config["weights"] = {"file": "tiny-dcgan/generator.weights.h5",
                              "sha256": zoo.sha256_of(weights)}
    (tmp_path / "zoo_configs" / "tiny-dcgan.json").write_text(json.dumps(tiny_config))
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path))
    return tmp_path


def run_cli(*args, env_extra=None, subprocess=False):
    """Runs the `ganzoo` command line with ARGS; returns a CompletedProcess (returncode,
    stdout, stderr).

    By default in this process: `ganzoo.cli.main` with stdout/stderr captured, the
    environment changes and the global dtype policy undone afterwards. It runs the same code
    as the console script without paying a TensorFlow import (~4 s here) per call.
    `subprocess=True` runs `python -m ganzoo.cli` in a fresh process, for what only a process
    shows: TensorFlow's C++ start-up lines on file descriptor 2, a command in a process that
    has built no model yet."""
    if subprocess:
        import subprocess as processes

        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
        return processes.run([sys.executable, "-m", "ganzoo.cli", *args], capture_output=True,
                             text=True, env=env, timeout=600)
    return _run_cli_in_process(list(args), env_extra or {})


def _run_cli_in_process(args, env_extra):
    import contextlib
    import io
    import logging
    import subprocess as processes
    import traceback

    from ganzoo import cli

    saved_env = {key: os.environ.get(key) for key in env_extra}
    policy = keras.mixed_precision.global_policy()
    stdout, stderr = io.StringIO(), io.StringIO()
    # As `ganzoo.cli.run` configures it: ganzoo's INFO messages go to stderr.
    handler = logging.StreamHandler(stderr)
    logger = logging.getLogger("ganzoo")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    os.environ.update(env_extra)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli.main(args)
            except SystemExit as exit_:  # argparse: usage errors and --help
                code = exit_.code if isinstance(exit_.code, int) else 1
            except Exception:  # what the console script would show as a traceback
                traceback.print_exc()
                code = 1
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        keras.mixed_precision.set_dtype_policy(policy)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return processes.CompletedProcess(["ganzoo", *args], code, stdout.getvalue(),
                                      stderr.getvalue())


# Tiny image-to-image entries (pix2pix, CycleGAN) shared by the translation tests.
PIX2PIX = {
    "name": "tiny-pix2pix", "variant": "pix2pix", "domain_names": ["edges", "face"],
    "source_shape": [16, 16, 1], "image_shape": [16, 16, 3],
    "generator": {"type": "unet", "base_filters": 8},
    "discriminator": {"type": "patchgan", "base_filters": 8, "layers_count": 1},
    "objective": {"l1_weight": 100.0},
    "optimizers": {name: {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.5}}
                   for name in ("d", "g")},
    "data": {"pairs": "edges", "split": "train[:75%]", "test_split": "train[75%:]"},
    "training": {"batch_size": 4, "checkpoint_every": 2},
}
CYCLEGAN = {
    "name": "tiny-cyclegan", "variant": "cyclegan", "domain_names": ["red", "blue"],
    "source_shape": [16, 16, 3], "image_shape": [16, 16, 3],
    "generator": {"type": "resnet", "base_filters": 4, "blocks": 1},
    "discriminator": {"type": "patchgan", "base_filters": 4, "layers_count": 1},
    "objective": {"pool_size": 3},
    "optimizers": {"g": {"class_name": "Adam", "config": {"beta_1": 0.5, "learning_rate": {
        "class_name": "ConstantThenLinearDecay", "registered_name":
        "ganzoo>ConstantThenLinearDecay", "config": {"initial": 2e-4, "constant_steps": 2,
                                                     "decay_steps": 4}}}}},
    "data": {"pairs": "unpaired", "labels": "tags.csv:hair", "domains": ["red", "blue"],
             "split": "train[:75%]", "test_split": "train[75%:]"},
    "training": {"batch_size": 2, "checkpoint_every": 2},
}


def build_translator(config, seed=0):
    keras.utils.set_random_seed(seed)
    return zoo.build(json.loads(json.dumps(config)), seed=seed)


def blob_faces(n=8, seed=0):
    return blob_images(n, seed=seed).astype(np.float32) / 127.5 - 1.0
