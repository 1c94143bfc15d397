"""The maintainers' write path: ship a finished training run as a zoo entry (its generator
weights under pretrained/, their SHA-256 and the training record in the entry's config) and
record measured quality. `ganzoo publish` and `ganzoo evaluate --record` call these; users
never need them. Every file is written to a temporary name and renamed."""
import hashlib
import json
import os
from pathlib import Path

from ganzoo.files import atomic_write_text, sha256_of
from ganzoo.registry import (TRAINING_RECIPE, config_path, get_config, training_record,
                             training_record_path, zoo_root)
from ganzoo.training import (GENERATOR_WEIGHTS, has_checkpoint, read_run_config, read_state,
                             starting_recipe, write_shipped_weights)


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


def weights_fingerprint(network):
    """SHA-256 of a network's weight values (shapes and float32 bytes, in order): the same for
    the same weights however they were stored (a run's checkpoint.keras, a .weights.h5 file),
    so results measured on a run can be matched to the weights published from it."""
    import numpy as np

    digest = hashlib.sha256()
    for array in network.get_weights():
        array = np.asarray(array)
        digest.update(repr(array.shape).encode())
        digest.update(array.astype(np.float32 if array.dtype.kind == "f" else array.dtype)
                      .tobytes())
    return digest.hexdigest()


def check_measured_on(results, fingerprint, where):
    """Refuses evaluation results that were not measured on the weights with `fingerprint`
    (e.g. on a run's float32 generator when its float16 copy is published)."""
    measured = (results.get("measured_on") or {}).get("weights_fingerprint")
    if measured is None:
        raise ValueError(f"{where} does not say which weights it measured (no "
                         f"measured_on.weights_fingerprint; `ganzoo evaluate --out` writes "
                         f"it): measure again.")
    if measured != fingerprint:
        raise ValueError(f"{where} was measured on other weights (fingerprint "
                         f"{measured[:12]}...) than the ones being published "
                         f"({fingerprint[:12]}...; a float16 copy or another step of the run "
                         f"differs): measure the published entry with `ganzoo evaluate NAME "
                         f"--record` instead.")


def publish(run_dir, name, record=None, float16=False, replace=None, quality=()):
    """Copies a finished run's generator weights into pretrained/<name>/, records their
    SHA-256 in the entry's config and writes `record` (how they were made: steps, images
    seen, wall time, command, notes) as pretrained/<name>/training-record.json beside them.
    The record's steps and batch size become the config's training recipe.
    `float16=True` stores the weights at half precision (`write_float16_copy`).
    Quality numbers measured on earlier weights no longer describe the entry: they leave the
    config and are kept in the new record under "previous_quality".
    `replace`: whole config sections to set (e.g. the run's "discriminator").
    `quality`: (where, results) pairs measured on these weights with `ganzoo evaluate --run
    RUN --out FILE`, recorded as the new entry's quality; results measured on other weights
    are refused before anything is written."""
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
    if quality:
        try:
            fingerprint = _fingerprint_of_file(config, tmp)
            for where, results in quality:
                check_measured_on(results, fingerprint, where)
        except BaseException:
            tmp.unlink()
            raise
    os.replace(tmp, target)
    previous = config.get("weights") or {}
    config["weights"] = {"file": target_rel, "sha256": sha256_of(target),
                         "bytes": target.stat().st_size}
    if float16:
        config["weights"]["stored_as"] = "float16"
    record = {"weights_sha256": config["weights"]["sha256"], **(record or {})}
    if previous.get("sha256") != config["weights"]["sha256"] and "quality" in config:
        record["previous_quality"] = {"weights_sha256": previous.get("sha256"),
                                      **config.pop("quality")}
    elif (training_record(name) or {}).get("previous_quality"):  # same weights republished
        record.setdefault("previous_quality", training_record(name)["previous_quality"])
    recipe = {key: record[key] for key in TRAINING_RECIPE if key in record}
    config["training"] = {**config.get("training", {}), **recipe}
    atomic_write_text(training_record_path(name), json.dumps(record, indent=2) + "\n")
    atomic_write_text(config_path(name), json.dumps(config, indent=2) + "\n")
    for _, results in quality:
        config = record_quality(name, results)
    return config


def _fingerprint_of_file(config, weights_file):
    """`weights_fingerprint` of a weights file as the entry `config` loads it."""
    from ganzoo import zoo

    if "ema_decay" in config:
        config = dict(config, ema_decay=None)  # the shipped weights are the EMA generator
    model = zoo.build(config, compile=False)
    network = model.shipped_network()
    network.load_weights(weights_file)
    return weights_fingerprint(network)


# The sections of a run's config that make the weights what they are: a run must match the
# entry on the first group (else the weights do not fit it) and its recipe replaces the second.
_ARCHITECTURE = ("variant", "latent_dim", "image_shape", "source_shape", "target_shape",
                 "generator", "num_classes", "class_names")
_RECIPE = ("discriminator", "objective", "ema_decay", "optimizers", "augment")


def publish_run(run_dir, name, float16=False, notes=None, quality=()):
    """`publish` a finished `ganzoo train` run as entry `name`, with its training record
    (steps, images seen, wall time, precision and the command that reproduces it) built from
    the run's config.json and state.json. The run's recipe (discriminator, objective,
    optimizers, EMA) replaces the entry's, so the config describes how the weights were made;
    a run whose generator architecture differs from the entry's is refused. `quality`: as
    for `publish`."""
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
    if not (Path(run_dir) / GENERATOR_WEIGHTS).exists() and has_checkpoint(run_dir):
        write_shipped_weights(run_dir)  # a state-only copy, e.g. of checkpoints/NAME
    run = run_config.get("run", {})
    steps = state["step"]
    batch_size = run.get("batch_size", run_config.get("training", {}).get("batch_size"))
    seed = run.get("seed", run.get("data_seed"))  # runs before "seed" was recorded
    command = [f"ganzoo train {name}", f"--data {run.get('data', entry['data']['source'])}",
               f"--steps {steps}"]
    precision = run.get("precision", "float32")
    changes = run.get("changes", [])
    # The command reproduces the start; a precision changed later is in `changes`.
    started_in = next((c["precision"].split(" -> ")[0] for c in changes if "precision" in c),
                      precision)
    options = {"seed": seed, "split": run.get("split"), "batch_size": batch_size,
               "strategy": run.get("strategy"), "precision": started_in}
    defaults = {"batch_size": entry.get("training", {}).get("batch_size"),
                "strategy": "default", "precision": "float32"}  # flags left out when default
    options["recipe"] = (starting_recipe(run_config) or {}).get("recipe")
    parent = run.get("init_from")
    options["init_from"] = parent and parent["run"]
    command += [f"--{flag} {value}" for flag, value in options.items()
                if value not in (None, defaults.get(flag))]
    record = {"steps": steps, "batch_size": batch_size,
              "images_seen": state.get("images_seen"),
              "wall_time_s": round(state.get("wall_time_s", 0.0), 1),
              "seconds_per_step": round(state.get("wall_time_s", 0.0) / steps, 3),
              "precision": precision,
              "command": " ".join(command) + f" --out runs/{name}"}
    if any(change["step"] > 0 for change in changes):
        # Continued part-way with another precision or recipe: the command above is the
        # start; these say what changed at which step (rerun with them to reproduce).
        record["changes"] = changes
    if parent:
        # Grown from another run's networks: the images and time behind these weights
        # include the parent's (recorded by `ganzoo train --init_from` since it knew them).
        record["init_from"] = parent
        if None not in (parent.get("images_seen"), parent.get("wall_time_s")):
            record["total_images_seen"] = parent["images_seen"] + record["images_seen"]
            record["total_wall_time_s"] = round(parent["wall_time_s"] + record["wall_time_s"], 1)
    if notes:
        record["notes"] = notes
    recipe = {key: run_config[key] for key in _RECIPE if key in run_config}
    return publish(run_dir, name, record, float16=float16, replace=recipe, quality=quality)


def record_quality(name, results):
    """Merges evaluation results into the entry's config under "quality" (atomically).
    FID-family results depend on the sample counts and the real set, so each protocol is also
    kept under quality["by_protocol"]["<n_fake> vs <n_real> <real_source>"]: recording a
    10,000-sample FID does not erase the 2,000-sample one. The headline (quality["fid"] and
    its counts) is the protocol with the most samples: a smaller one, biased upwards, is only
    kept beside it."""
    config = get_config(name)
    quality = config.setdefault("quality", {})
    # measured_on names the weights; once recorded, those are the entry's own.
    results = {key: value for key, value in results.items() if key != "measured_on"}
    if "n_fake" in results and "fid" in results:
        protocol = f"{results['n_fake']} vs {results['n_real']} {results['real_source']}"
        inception = {key: value for key, value in results.items()
                     if key not in ("entry", "classifier", "parzen")}
        quality.setdefault("by_protocol", {})[protocol] = inception
        if (results["n_fake"], results["n_real"]) < (quality.get("n_fake", 0),
                                                     quality.get("n_real", 0)):
            results = {key: value for key, value in results.items() if key not in inception}
    for key, value in results.items():
        if key != "entry":
            quality[key] = value
    atomic_write_text(config_path(name), json.dumps(config, indent=2) + "\n")
    return config
