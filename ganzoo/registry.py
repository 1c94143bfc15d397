"""The zoo's read path, with no TensorFlow: where the entries live, their validated configs,
and the shipped files (pretrained weights, evaluators, FID references) checked by SHA-256.

An entry is `zoo_configs/<name>.json` plus its weights under `pretrained/`. Building and
loading models is `ganzoo.zoo`; shipping new weights (maintainers) is `ganzoo.publish`.
`ganzoo list` and `ganzoo info` use only this module, so they answer without importing
TensorFlow.
"""
import difflib
import json
import numbers
import os
import re
from pathlib import Path

from ganzoo.assets import AssetError, resolve
from ganzoo.files import sha256_of  # noqa: F401  (re-exported)

_PACKAGE_DIR = Path(__file__).resolve().parent


class UnknownModelError(KeyError):
    def __str__(self):  # KeyError would print the message with quotes around it
        return self.args[0]


class ConfigError(ValueError):
    """A zoo config is not valid JSON or lacks / mistypes a field; the message names the file
    and the field."""


class WeightsError(AssetError):
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


def config_path(name):
    return zoo_root() / "zoo_configs" / f"{name}.json"


def list_models():
    """Names of all zoo entries, sorted (a config that fails validation is still listed:
    `get_config` says what is wrong with it)."""
    return sorted(p.stem for p in (zoo_root() / "zoo_configs").glob("*.json"))


def get_config(name):
    """The entry's validated config as a dict; unknown names raise with the closest matches,
    an invalid file raises ConfigError naming the file and the field."""
    if isinstance(name, str) and name.endswith(".json") and os.path.isfile(name):
        return read_config_file(name)  # a config outside zoo_configs/ (its own entry)
    path = config_path(name) if isinstance(name, str) else None
    if path is None or not path.is_file():
        names = list_models()
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"No zoo entry named {name!r}.{hint} Available: {', '.join(names)}."
        )
    return read_config_file(path)


def read_json(path):
    """A JSON file's value; malformed text raises ConfigError naming the file and position."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}, "
                          f"column {error.colno}.") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} is not UTF-8 text ({error.reason}).") from None


def read_config_file(path):
    """Parses and validates one zoo config file; its .py plugins are made absolute paths."""
    from ganzoo.plugins import absolute_plugins

    config = validate_config(read_json(path), path)
    if config.get("plugins"):
        config["plugins"] = absolute_plugins(config["plugins"], Path(path).parent)
    return config


def _is_count(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


def _shape_problem(value):
    if not isinstance(value, list) or len(value) != 3 or not all(map(_is_count, value)):
        return f"must be [height, width, channels] (three positive integers), got {value!r}"
    return None


def validate_config(config, path="<config>"):
    """Checks the fields every builder and loader relies on, so a broken entry fails here
    with `path: field ...` instead of deep inside network construction. Fills in `name`
    from the file name when missing."""
    def fail(field, problem):
        raise ConfigError(f"{path}: field {field!r} {problem}.")

    if not isinstance(config, dict):
        raise ConfigError(f"{path} must hold a JSON object, got {type(config).__name__}.")
    stem = Path(path).stem
    config.setdefault("name", stem)
    if path != "<config>" and config["name"] != stem:
        fail("name", f"is {config['name']!r} but the file is {Path(path).name}; they must agree")
    for field in ("variant", "image_shape", "generator", "discriminator"):
        if field not in config:
            fail(field, "is missing")
    if not isinstance(config["variant"], str) or not config["variant"]:
        fail("variant", f"must be a variant name such as 'dcgan', got {config['variant']!r}")
    for field in ("image_shape", "source_shape"):
        if field in config and _shape_problem(config[field]):
            fail(field, _shape_problem(config[field]))
    for field in ("generator", "discriminator"):
        spec = config[field]
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            fail(field, f"must be an object with a network 'type' (e.g. {{\"type\": "
                        f"\"dcgan\"}}), got {spec!r}")
    if "latent_dim" not in config and "source_shape" not in config:
        fail("latent_dim", "is missing (noise-to-image entries give the latent size; "
                           "image-to-image entries give 'source_shape' instead)")
    for field in ("latent_dim", "num_classes"):
        if field in config and config[field] is not None and not _is_count(config[field]):
            fail(field, f"must be a positive integer, got {config[field]!r}")
    names = config.get("class_names")
    if names is not None and (not isinstance(names, list)
                              or len(names) != config.get("num_classes")):
        fail("class_names", f"must list one name per class ({config.get('num_classes')} "
                            f"classes), got {names!r}")
    weights = config.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or not isinstance(weights.get("file"), str) \
                or not re.fullmatch(r"[0-9a-f]{64}", str(weights.get("sha256"))):
            fail("weights", "must be null or an object with 'file' (path under pretrained/) "
                            "and 'sha256' (64 hex digits)")
    augment = config.get("augment")
    if augment is not None and not isinstance(augment, str):
        fail("augment", f"must be a DiffAugment policy such as \"color,translation,cutout\", "
                        f"got {augment!r}")
    plugins = config.get("plugins")
    if plugins is not None and (not isinstance(plugins, list)
                                or not all(isinstance(p, str) and p for p in plugins)):
        fail("plugins", f"must be a list of module names or .py files defining the entry's "
                        f"code, got {plugins!r}")
    for field in ("objective", "optimizers", "data", "training"):
        if field in config and not isinstance(config[field], dict):
            fail(field, f"must be an object, got {config[field]!r}")
    return config


# How an entry's weights were made (steps, images seen, wall time, the reproducing command,
# notes, the quality of the weights they replaced) lives beside them, not in the config.
TRAINING_RECORD = "training-record.json"
# The part of a config's "training" section that `ganzoo train` reads: the recipe.
TRAINING_RECIPE = ("batch_size", "steps", "checkpoint_every")


def training_record_path(name):
    return zoo_root() / "pretrained" / name / TRAINING_RECORD


def training_record(name):
    """The entry's training record (a dict), or None for an entry without one."""
    path = training_record_path(name)
    return read_json(path) if path.is_file() else None


def verified_weights_path(config):
    """Path of the entry's weights file after checking it exists and matches its SHA-256."""
    weights = config.get("weights")
    if not weights:
        raise WeightsError(f"Zoo entry {config['name']!r} has no pretrained weights yet; "
                           f"use ganzoo.build({config['name']!r}) to train it.")
    return resolve(weights["file"], weights["sha256"], url=weights.get("url"),
                   what=f"Weights file of {config['name']!r}", error=WeightsError)


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
    """Path of a shipped item's file after checking it exists and matches its SHA-256 (found
    locally, in the cache, or downloaded: `ganzoo.assets`)."""
    return resolve(f"{kind}/{file}", sha256, what=what, error=error)
