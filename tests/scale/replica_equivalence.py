"""Run as a script (the CPU must be split into 2 logical devices before TensorFlow starts):
one training step on 2 replicas vs 1 device with the same global batch, per variant.
Prints JSON {variant: {"max_weight_diff": ..., "logs_1": ..., "logs_2": ...}}."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from conftest import TINY_CONFIG, blob_images  # noqa: E402
from ganzoo import zoo  # noqa: E402
from ganzoo.distribute import make_strategy  # noqa: E402

# No batch norm and no dropout here: per-replica batch statistics and per-layer dropout
# streams legitimately differ between 1 and 2 replicas; everything else must match.
MLP = {"generator": {"type": "mlp", "hidden": [16]},
       "discriminator": {"type": "mlp", "hidden": [16], "dropout": 0.0}}
VARIANTS = {
    "dcgan": {},
    "vanilla": {"objective": {"d_steps": 2}},
    "lsgan": {},
    "wgan": {"objective": {"n_critic": 2}},
    "wgan-gp": {"objective": {"n_critic": 2}},
    "fgan": {"objective": {"divergence": "pearson_chi2"}},
    "began": {"discriminator": {"type": "autoencoder", "base_filters": 4, "embedding_dim": 8}},
    "cgan": {"num_classes": 3},
    "acgan": {"num_classes": 3},
    # Image-to-image: instance norm is per image, so it is replica-independent; no dropout.
    "pix2pix": {"source_shape": [16, 16, 3],
                "generator": {"type": "unet", "base_filters": 4, "dropout": 0.0},
                "discriminator": {"type": "patchgan", "base_filters": 4, "layers_count": 1}},
    # pool_size 0: with a pool each replica keeps its own history (by design), so the
    # discriminator sees different old images than on one device.
    "cyclegan": {"source_shape": [16, 16, 3], "objective": {"pool_size": 0},
                 "generator": {"type": "resnet", "base_filters": 4, "blocks": 1},
                 "discriminator": {"type": "patchgan", "base_filters": 4, "layers_count": 1}},
}
# Runs on 2 replicas only to show it trains (per-replica pools, on-read variables).
SMOKE = {"cyclegan-pool": ("cyclegan", {"objective": {"pool_size": 4}})}


def run(config, strategy, images, labels):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = zoo.build(config, seed=1)
    data = (images, labels) if config.get("num_classes") else images
    if "source_shape" in config:  # (A, B) pairs
        data = (images, images[::-1])
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(8, drop_remainder=True).take(2)
    networks = model.generator_networks + model.discriminator_networks
    initial = [w.numpy() for n in networks for w in n.weights]
    history = model.fit(dataset, epochs=1, verbose=0)
    weights = [w.numpy() for n in networks for w in n.weights]
    return weights, {k: float(v[-1]) for k, v in history.history.items()}, initial


def main():
    images = blob_images(16).astype(np.float32) / 127.5 - 1.0
    labels = np.arange(16) % 3
    # One strategy for all runs: separate MirroredStrategy objects in one process can
    # collide on collective-op instance keys.
    mirrored, single = make_strategy("mirrored"), tf.distribute.OneDeviceStrategy("/cpu:0")
    results = {}
    for variant in sys.argv[1:] or [*VARIANTS, *SMOKE]:
        config = json.loads(json.dumps(TINY_CONFIG))
        kind, extra = SMOKE.get(variant, (variant, {}))
        config.update(variant=kind, name=f"tiny-{variant}", **MLP)
        config.update(VARIANTS[kind])
        config.update(extra)
        config["optimizers"] = {}  # the variant's published optimizers
        if variant in SMOKE:
            two, logs_2, initial = run(config, mirrored, images, labels)
            results[variant] = {"moved": max(float(np.abs(a - b).max())
                                             for a, b in zip(two, initial)), "logs_2": logs_2}
            continue
        one, logs_1, initial = run(config, single, images, labels)
        two, logs_2, _ = run(config, mirrored, images, labels)
        results[variant] = {
            "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(one, two)),
            "moved": max(float(np.abs(a - b).max()) for a, b in zip(one, initial)),
            "logs_1": logs_1, "logs_2": logs_2}
    print("RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main()
