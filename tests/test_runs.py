"""Runs as a library (`ganzoo.runs`): start, resume and grow a run from Python, without the
command line."""
import json

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import blob_images
from ganzoo import runs


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(blob_images(16)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    return str(folder)


def test_start_resume_and_refuse_a_changed_setting(tmp_zoo, tmp_path, images):
    out = str(tmp_path / "run")
    state = runs.train("tiny-dcgan", data=images, out=out, steps=2, seed=3)
    assert state["step"] == 2 and state["images_seen"] == 16 and state["cpu_time_s"] > 0
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["run"]
    assert (recorded["data"], recorded["seed"], recorded["steps"]) == (images, 3, 2)
    # A resume needs only the directory: data, seed and batch size are the run's.
    assert runs.train("tiny-dcgan", out=out, steps=4)["step"] == 4
    with pytest.raises(runs.RunError, match=r"--batch_size 4 \(the run has 8\)"):
        runs.train("tiny-dcgan", out=out, steps=6, batch_size=4)


def test_grow_a_run_into_wider_networks(tmp_zoo, tmp_path, images):
    parent = str(tmp_path / "parent")
    runs.train("tiny-dcgan", data=images, out=parent, steps=2, seed=0)
    recipe = tmp_path / "wide.json"
    recipe.write_text(json.dumps({"generator": {"type": "dcgan", "base_filters": 6},
                                  "discriminator": {"type": "dcgan", "base_filters": 6}}))
    child = tmp_path / "child"
    runs.train("tiny-dcgan", data=images, out=str(child), steps=1, seed=0,
               init_from=parent, recipe=str(recipe))
    record = json.loads((child / "config.json").read_text())
    assert record["generator"]["base_filters"] == 6
    assert record["run"]["init_from"]["run"] == parent
    assert record["run"]["init_from"]["images_seen"] == 16
    model = keras.models.load_model(child / "checkpoint.keras")
    dense = next(layer for layer in model.generator.layers
                 if isinstance(layer, keras.layers.Dense))
    assert dense.units == 4 * 4 * 12 and model.train_steps == 1  # base 6 at 4x4: 12 (was 8)
    assert np.isfinite(model.sample(2, seed=0)).all()


PLUGIN = '''
import keras
import tensorflow as tf
from ganzoo import losses
from ganzoo.plugins import register_variant
from ganzoo.variants.dcgan import DCGAN


@register_variant("least-squares-outside")
@keras.saving.register_keras_serializable("outside_plugin")
class OutsideGAN(DCGAN):
    """A variant defined outside the package: LSGAN's loss on DCGAN's step."""

    def train_step(self, data):
        real, _ = self.unpack(data)
        d_loss = self.discriminator_step(
            real, lambda r, f, *_: losses.least_squares_discriminator(r, f))
        g_loss = self.generator_step(tf.shape(real)[0],
                                     lambda f, _: losses.least_squares_generator(f, 1.0))
        return self.report(d_loss=d_loss, g_loss=g_loss)
'''


def test_a_variant_outside_the_package_trains_from_a_config_outside_the_zoo(tmp_path,
                                                                             images):
    from conftest import TINY_CONFIG, run_cli

    project = tmp_path / "project"
    project.mkdir()
    (project / "outside_gan.py").write_text(PLUGIN)
    config = dict(json.loads(json.dumps(TINY_CONFIG)), name="my-entry",
                  variant="least-squares-outside", plugins=["outside_gan.py"])
    (project / "my-entry.json").write_text(json.dumps(config))
    out = tmp_path / "run"
    result = run_cli("train", str(project / "my-entry.json"), "--data", images, "--steps", "2",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    model = keras.models.load_model(out / "checkpoint.keras")
    assert type(model).__name__ == "OutsideGAN" and model.train_steps == 2
    resumed = run_cli("train", str(project / "my-entry.json"), "--steps", "3", "--out", str(out))
    assert resumed.returncode == 0 and "Resuming" in resumed.stdout, resumed.stderr


def test_a_network_stack_registered_outside_the_package_builds():
    import keras

    from ganzoo.nets import build_network
    from ganzoo.plugins import NETWORKS, register_network

    @register_network("tiny-dense-outside", "generator")
    def tiny_dense(latent_dim, image_shape, name="generator"):
        z = keras.Input((latent_dim,), name="z")
        x = keras.layers.Dense(int(np.prod(image_shape)), activation="tanh")(z)
        return keras.Model(z, keras.layers.Reshape(image_shape)(x), name=name)

    try:
        network = build_network("generator", {"type": "tiny-dense-outside"}, latent_dim=4,
                                image_shape=(8, 8, 1))
        assert network.output_shape == (None, 8, 8, 1)
        with pytest.raises(ValueError, match="has no discriminator"):
            build_network("discriminator", {"type": "tiny-dense-outside"}, latent_dim=4,
                          image_shape=(8, 8, 1))
        with pytest.raises(ValueError, match="a generator for image-to-image models"):
            build_network("generator", {"type": "unet"}, latent_dim=4, image_shape=(8, 8, 1))
    finally:
        del NETWORKS["tiny-dense-outside"]
