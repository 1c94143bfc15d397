"""The zoo: named entries in `zoo_configs/<name>.json`, weights in `pretrained/`.

An entry's config holds everything needed to rebuild, train and verify it: variant, networks,
image shape, optimizers, training hyper-parameters and record, the weights file and its SHA-256,
and measured quality. Adding an entry is adding a JSON file plus weights, no Python.
"""
import difflib
import hashlib
import json
import os
from pathlib import Path

import keras

from ganzoo.nets import build_network
from ganzoo.training import atomic_write_text
from ganzoo.variants import VARIANTS

_PACKAGE_DIR = Path(__file__).resolve().parent


class UnknownModelError(KeyError):
    def __str__(self):  # KeyError would print the message with quotes around it
        return self.args[0]


class WeightsError(RuntimeError):
    """Pretrained weights are missing or do not match their recorded SHA-256."""


def zoo_root():
    """Folder holding zoo_configs/ and pretrained/: $GANZOO_HOME, the copy packaged in the
    wheel (ganzoo/_zoo_data/), or the source checkout's top level, in that order."""
    candidates = [os.environ.get("GANZOO_HOME"), _PACKAGE_DIR / "_zoo_data", _PACKAGE_DIR.parent]
    for candidate in candidates:
        if candidate and (Path(candidate) / "zoo_configs").is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "Cannot find the zoo_configs/ folder (looked in $GANZOO_HOME, the installed package and "
        "the source checkout). Reinstall ganzoo or set GANZOO_HOME to the repository root."
    )


def list_models():
    """Names of all zoo entries, sorted."""
    return sorted(p.stem for p in (zoo_root() / "zoo_configs").glob("*.json"))


def get_config(name):
    """The entry's config as a dict; unknown names raise with the closest matches."""
    path = zoo_root() / "zoo_configs" / f"{name}.json"
    if not isinstance(name, str) or not path.is_file():
        names = list_models()
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"No zoo entry named {name!r}.{hint} Available: {', '.join(names)}."
        )
    with open(path) as f:
        return json.load(f)


def _as_config(name_or_config):
    return get_config(name_or_config) if isinstance(name_or_config, str) else dict(name_or_config)


def build(name_or_config, seed=None, compile=True):
    """The entry's architecture with fresh weights, compiled with its optimizers: ready for fit.

    `seed` makes a run reproducible: it seeds the weight initialisation (through
    `keras.utils.set_random_seed`, which also seeds Python, NumPy and TensorFlow globally)
    and the model's own noise stream."""
    config = _as_config(name_or_config)
    variant = config["variant"]
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; known: {sorted(VARIANTS)}.")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    variant_class = VARIANTS[variant]
    if hasattr(variant_class, "from_zoo_config"):  # image-to-image: no latent space
        model = variant_class.from_zoo_config(
            config, seed=seed, domain_names=config.get("domain_names", ("a", "b")),
            name=config.get("name", variant).replace("-", "_"), **config.get("objective", {}))
        return _compiled(model, config, compile)
    latent_dim = int(config["latent_dim"])
    image_shape = tuple(int(d) for d in config["image_shape"])
    num_classes = config.get("num_classes")
    generator_spec, discriminator_spec = dict(config["generator"]), dict(config["discriminator"])
    if num_classes and variant_class.discriminator_conditioning:
        generator_spec["num_classes"] = num_classes
        key = {"input": "num_classes", "auxiliary": "aux_classes"}[
            variant_class.discriminator_conditioning]
        discriminator_spec[key] = num_classes
    generator = build_network("generator", generator_spec,
                              latent_dim=latent_dim, image_shape=image_shape)
    discriminator = build_network("discriminator", discriminator_spec,
                                  latent_dim=latent_dim, image_shape=image_shape)
    model = variant_class(
        generator, discriminator, ema_decay=config.get("ema_decay"), seed=seed,
        num_classes=num_classes, class_names=config.get("class_names"),
        name=config.get("name", variant).replace("-", "_"), **config.get("objective", {}),
    )
    return _compiled(model, config, compile)


def _compiled(model, config, compile):
    model.evaluator = config.get("evaluator")
    model.reference = config.get("reference")  # shipped FID statistics of its dataset
    if compile:
        optimizers = config.get("optimizers", {})
        model.compile(d_optimizer=optimizers.get("d"), g_optimizer=optimizers.get("g"))
    return model


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def shipped_folder(kind):
    """pretrained/<kind>/ (e.g. "evaluators", "reference"): each item is <name>.json beside the
    file it describes, whose SHA-256 the JSON records."""
    return zoo_root() / "pretrained" / kind


def shipped_names(kind):
    return sorted(p.stem for p in shipped_folder(kind).glob("*.json"))


def shipped_json(kind, name, error, what):
    """The JSON of a shipped item; an unknown name raises `error` listing the available ones."""
    path = shipped_folder(kind) / f"{name}.json"
    if not path.is_file():
        raise error(f"No {what} named {name!r}; available: "
                    f"{', '.join(shipped_names(kind)) or 'none'}.")
    with open(path) as f:
        return json.load(f)


def verified_shipped_file(kind, file, sha256, error, what):
    """Path of a shipped item's file after checking it exists and matches its SHA-256."""
    path = shipped_folder(kind) / file
    if not path.is_file() or sha256_of(path) != sha256:
        raise error(f"{what} {path} are missing or do not match their recorded SHA-256; "
                    f"reinstall ganzoo.")
    return path


def verified_weights_path(config):
    """Path of the entry's weights file after checking it exists and matches its SHA-256."""
    weights = config.get("weights")
    if not weights:
        raise WeightsError(f"Zoo entry {config['name']!r} has no pretrained weights yet; "
                           f"use ganzoo.build({config['name']!r}) to train it.")
    path = zoo_root() / "pretrained" / weights["file"]
    if not path.is_file():
        raise WeightsError(f"Weights file for {config['name']!r} is missing: {path}. "
                           f"Reinstall ganzoo or restore the file from the repository.")
    actual = sha256_of(path)
    if actual != weights["sha256"]:
        raise WeightsError(
            f"Weights file {path} does not match its recorded SHA-256 and was not loaded: "
            f"expected {weights['sha256']}, found {actual}."
        )
    return path


def load(name, seed=None, for_training=False):
    """The entry with its pretrained generator weights (verified by SHA-256), ready to sample.

    The zoo ships generators only (the EMA generator's weights where training kept one).
    By default the model is built for sampling and export: no optimizers and no second (EMA)
    copy of the generator (load 0.5 s instead of 0.65 s on one core here, and less memory).
    `for_training=True` returns it compiled with the entry's optimizers, EMA and a freshly
    initialised discriminator, ready to fine-tune with `fit`.
    """
    config = get_config(name)
    path = verified_weights_path(config)
    if not for_training and "ema_decay" in config:
        config = dict(config, ema_decay=None)  # the shipped weights ARE the EMA generator
    model = build(config, seed=seed, compile=for_training)
    model.shipped_network().load_weights(path)
    if getattr(model, "ema_generator", None) is not None:  # start both from the shipped
        model.generator.set_weights(model.ema_generator.get_weights())
    return model


def write_float16_copy(source, target):
    """Copies a Keras .weights.h5 file with its float32 arrays stored as float16: half the
    bytes for large entries. Loading casts them back into the float32 variables (Keras
    assigns with the variable's dtype); the entry's quality must be measured on the copy."""
    import h5py
    import numpy as np

    with h5py.File(source, "r") as src, h5py.File(target, "w") as dst:
        def copy(name, item):
            if isinstance(item, h5py.Group):
                group = dst.require_group(name)
            else:
                data = item[()]
                group = dst.create_dataset(
                    name, data=data.astype(np.float16) if data.dtype == np.float32 else data)
            group.attrs.update(item.attrs)

        dst.attrs.update(src.attrs)
        src.visititems(copy)


def publish(run_dir, name, record=None, float16=False, replace=None):
    """Copies a finished run's generator weights into pretrained/<name>/ and records their
    SHA-256 (and `record`, e.g. training facts and quality) in the entry's config.
    `float16=True` stores them at half precision (`write_float16_copy`).
    Quality numbers measured on earlier weights no longer describe the entry: they are
    dropped (kept under "previous_quality" for the record) unless `record` brings new ones.
    `replace`: whole sections to set (e.g. the run's "discriminator"), where `record`'s
    sections are merged into the existing ones."""
    config = {**get_config(name), **(replace or {})}
    source = Path(run_dir) / "generator.weights.h5"
    target_rel = f"{name}/generator.weights.h5"
    target = zoo_root() / "pretrained" / target_rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # Temp file + rename for both files, so an interrupted publish never leaves an entry
    # whose weights and recorded SHA-256 disagree.
    tmp = target.with_name(f".{os.getpid()}.tmp.weights.h5")
    if float16:
        write_float16_copy(source, tmp)
    else:
        tmp.write_bytes(source.read_bytes())
    os.replace(tmp, target)
    previous = config.get("weights") or {}
    config["weights"] = {"file": target_rel, "sha256": sha256_of(target),
                         "bytes": target.stat().st_size}
    if float16:
        config["weights"]["stored_as"] = "float16"
    if previous.get("sha256") != config["weights"]["sha256"] and "quality" in config:
        config["previous_quality"] = {"weights_sha256": previous.get("sha256"),
                                      **config.pop("quality")}
    for section, values in (record or {}).items():  # e.g. {"training": {...}}
        config.setdefault(section, {}).update(values)
    path = zoo_root() / "zoo_configs" / f"{name}.json"
    atomic_write_text(path, json.dumps(config, indent=2) + "\n")
    return config


# The sections of a run's config that make the weights what they are: a run must match the
# entry on the first group (else the weights do not fit it) and its recipe replaces the second.
_ARCHITECTURE = ("variant", "latent_dim", "image_shape", "source_shape", "target_shape",
                 "generator", "num_classes", "class_names")
_RECIPE = ("discriminator", "objective", "ema_decay", "optimizers")


def publish_run(run_dir, name, float16=False, notes=None):
    """`publish` a finished `ganzoo train` run as entry `name`, with its training record
    (steps, images seen, wall time, precision and the command that reproduces it) built from
    the run's config.json and state.json. The run's recipe (discriminator, objective,
    optimizers, EMA) replaces the entry's, so the config describes how the weights were made;
    a run whose generator architecture differs from the entry's is refused."""
    from ganzoo.training import read_run_config, read_state

    run_config, state = read_run_config(run_dir), read_state(run_dir)
    if not run_config or not state.get("step"):
        raise FileNotFoundError(f"{run_dir} is not a finished ganzoo training run (it needs "
                                f"config.json and state.json with a step count).")
    entry = get_config(name)
    for key in _ARCHITECTURE:
        if run_config.get(key) != entry.get(key):
            raise ValueError(
                f"Run {run_dir} does not match entry {name}: {key} is "
                f"{run_config.get(key)!r} in the run, {entry.get(key)!r} in the entry; its "
                f"weights would not load. Edit zoo_configs/{name}.json first.")
    run = run_config.get("run", {})
    steps = state["step"]
    batch_size = run.get("batch_size", run_config.get("training", {}).get("batch_size"))
    seed = run.get("seed", run.get("data_seed"))  # runs before "seed" was recorded
    command = [f"ganzoo train {name}", f"--data {run.get('data', entry['data']['source'])}",
               f"--steps {steps}"]
    precision = run.get("precision", "float32")
    options = {"seed": seed, "split": run.get("split"), "batch_size": batch_size,
               "strategy": run.get("strategy"), "precision": precision}
    defaults = {"batch_size": entry.get("training", {}).get("batch_size"),
                "strategy": "default", "precision": "float32"}  # flags left out when default
    command += [f"--{flag} {value}" for flag, value in options.items()
                if value not in (None, defaults.get(flag))]
    record = {"steps": steps, "batch_size": batch_size,
              "images_seen": state.get("images_seen"),
              "wall_time_s": round(state.get("wall_time_s", 0.0), 1),
              "seconds_per_step": round(state.get("wall_time_s", 0.0) / steps, 3),
              "precision": precision,
              "command": " ".join(command) + f" --out runs/{name}"}
    if notes:
        record["notes"] = notes
    recipe = {key: run_config[key] for key in _RECIPE if key in run_config}
    return publish(run_dir, name, {"training": record}, float16=float16, replace=recipe)


def record_quality(name, results):
    """Merges evaluation results into the entry's config under "quality" (atomically).
    FID-family results depend on the sample counts and the real set, so each protocol is also
    kept under quality["by_protocol"]["<n_fake> vs <n_real> <real_source>"]: recording a
    10,000-sample FID does not erase the 2,000-sample one."""
    config = get_config(name)
    quality = config.setdefault("quality", {})
    for key, value in results.items():
        if key != "entry":
            quality[key] = value
    if "n_fake" in results and "fid" in results:
        protocol = f"{results['n_fake']} vs {results['n_real']} {results['real_source']}"
        inception = {key: value for key, value in results.items()
                     if key not in ("entry", "classifier", "parzen")}
        quality.setdefault("by_protocol", {})[protocol] = inception
    atomic_write_text(zoo_root() / "zoo_configs" / f"{name}.json",
                      json.dumps(config, indent=2) + "\n")
    return config
