"""Registration of model families and network stacks, so either can live outside the package.

A variant class registers itself where it is defined:

    from ganzoo.plugins import register_variant

    @register_variant("my-gan")
    @keras.saving.register_keras_serializable("my_project")
    class MyGAN(ganzoo.GAN):
        def train_step(self, data): ...

(`@register_network("my-stack", "generator")` does the same for a network builder), and a zoo
config names the modules that define such code in `"plugins"`: module names
("my_project.gans") or .py files (relative to the config file), imported before the config
is built or a run of it restored. `ganzoo train path/to/config.json` trains such a config.
No TensorFlow here.
"""
import importlib
import importlib.util
import sys
from pathlib import Path

VARIANTS = {}  # config "variant" -> class, filled by @register_variant
# network spec "type" -> {role: (builder, inputs)}, filled by @register_network; inputs is
# "latent" (builder(latent_dim=, image_shape=, ...) for generators, builder(image_shape=, ...)
# for discriminators) or "image" (image-to-image: source_shape/target_shape, image_shape).
NETWORKS = {}
ROLES = ("generator", "discriminator")
INPUTS = ("latent", "image")


def register_variant(name):
    """Class decorator: the class is the config variant `name`."""
    def register(cls):
        if name in VARIANTS and VARIANTS[name] is not cls:
            raise ValueError(f"Variant {name!r} is already registered by "
                             f"{VARIANTS[name].__module__}.{VARIANTS[name].__qualname__}.")
        VARIANTS[name] = cls
        return cls

    return register


def register_network(kind, role, inputs="latent"):
    """Function decorator: the builder is network type `kind` in `role` ("generator" or
    "discriminator") of noise-to-image ("latent") or image-to-image ("image") models."""
    if role not in ROLES or inputs not in INPUTS:
        raise ValueError(f"role must be one of {ROLES} and inputs one of {INPUTS}, got "
                         f"{role!r}, {inputs!r}.")

    def register(builder):
        held = NETWORKS.setdefault(kind, {})
        if role in held and held[role][0] is not builder:
            raise ValueError(f"Network type {kind!r} already has a {role}: "
                             f"{held[role][0].__module__}.{held[role][0].__qualname__}.")
        held[role] = (builder, inputs)
        return builder

    return register


def absolute_plugins(plugins, config_dir):
    """The config's plugin list with .py paths made absolute against the config's folder
    (a run's copy of the config then imports them from anywhere)."""
    return [str((Path(config_dir) / p).resolve()) if str(p).endswith(".py") else p
            for p in plugins]


def load_plugins(config):
    """Imports the modules the config's "plugins" name (each once)."""
    for plugin in config.get("plugins") or []:
        if str(plugin).endswith(".py"):
            path = Path(plugin)
            if not path.is_file():
                raise FileNotFoundError(f"Plugin file {path} (named in the config's "
                                        f"\"plugins\") does not exist.")
            module_name = f"ganzoo_plugin_{path.stem}_{abs(hash(str(path))) % 10 ** 8}"
            if module_name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        else:
            importlib.import_module(plugin)
