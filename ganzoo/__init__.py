"""ganzoo: a Keras 3 / TensorFlow zoo of generative adversarial networks.

    import ganzoo
    model = ganzoo.load("dcgan-anime")          # pretrained, verified by SHA-256
    ganzoo.save_grid(model.sample(64, seed=0), "faces.png")

The names below are imported on first use (PEP 562), so `import ganzoo` and the registry
(`ganzoo.list_models`, `ganzoo.get_config`) do not import TensorFlow.
"""
import importlib

from ganzoo.export import export  # noqa: F401  (light: TensorFlow loads when it runs)

__version__ = "0.1.0"

_LIGHT = ("ganzoo.registry",)  # no TensorFlow
_EXPORTS = {
    "GAN": "ganzoo.gan",
    "build": "ganzoo.zoo",
    "load": "ganzoo.zoo",
    "get_config": "ganzoo.registry",
    "list_models": "ganzoo.registry",
    "save_grid": "ganzoo.images",
}

__all__ = sorted([*_EXPORTS, "export"]) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        if _EXPORTS[name] not in _LIGHT:
            # As the CLI does: TensorFlow's C++ start-up lines (oneDNN, CPU features) are
            # held back unless the import fails or TF_CPP_MIN_LOG_LEVEL is set.
            from ganzoo.startup import import_tensorflow_quietly

            import_tensorflow_quietly()
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


def __dir__():
    return __all__
