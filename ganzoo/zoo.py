"""Building and loading zoo entries: `build` gives an entry's architecture with fresh weights,
`load` the same with its shipped generator weights (checked by SHA-256).

Where entries live and what their configs say is `ganzoo.registry` (no TensorFlow); shipping a
trained run as an entry (maintainers) is `ganzoo.publish`. Adding an entry is adding a JSON
file plus weights, no Python.
"""
import keras

from ganzoo.files import sha256_of  # noqa: F401  (part of this module's public API)
from ganzoo.registry import (  # noqa: F401  (re-exported: ganzoo.zoo.get_config etc.)
    ConfigError, UnknownModelError, WeightsError, get_config, list_models,
    validate_config, verified_weights_path, zoo_root)
from ganzoo.plugins import load_plugins
from ganzoo.variants import VARIANTS


def _as_config(name_or_config):
    if isinstance(name_or_config, str):
        return get_config(name_or_config)
    return validate_config(dict(name_or_config))


def build(name_or_config, seed=None, compile=True):
    """The entry's architecture with fresh weights, compiled with its optimizers: ready for fit.

    `seed` makes a run reproducible: it seeds the weight initialisation (through
    `keras.utils.set_random_seed`, which also seeds Python, NumPy and TensorFlow globally)
    and the model's own noise stream."""
    config = _as_config(name_or_config)
    load_plugins(config)
    variant = config["variant"]
    if variant not in VARIANTS:
        raise ConfigError(f"Zoo entry {config['name']!r}: unknown variant {variant!r}; known: "
                          f"{', '.join(sorted(VARIANTS))}.")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = VARIANTS[variant].from_zoo_config(config, seed=seed)
    if compile:
        optimizers = config.get("optimizers", {})
        model.compile(d_optimizer=optimizers.get("d"), g_optimizer=optimizers.get("g"))
    return model


def load(name, seed=None, for_training=False):
    """The entry with its pretrained generator weights (verified by SHA-256), ready to sample.

    The zoo ships generators only (the EMA generator's weights where training kept one).
    By default the model is built for sampling and export: no optimizers and no second (EMA)
    copy of the generator (a faster cold start and less memory).
    `for_training=True` returns it compiled with the entry's optimizers, EMA and a freshly
    initialised discriminator, ready to fine-tune with `fit`.
    """
    config = get_config(name)
    path = verified_weights_path(config)
    if not for_training and "ema_decay" in config:
        config = dict(config, ema_decay=None)  # the shipped weights ARE the EMA generator
    model = build(config, seed=seed, compile=for_training)
    model.shipped_network().load_weights(path)
    if model.ema_generator is not None:  # start both from the shipped
        model.generator.set_weights(model.ema_generator.get_weights())
    return model
