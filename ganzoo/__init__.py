"""ganzoo: a Keras 3 / TensorFlow zoo of generative adversarial networks.

    import ganzoo
    model = ganzoo.load("dcgan-anime")          # pretrained, verified by SHA-256
    ganzoo.save_grid(model.sample(64, seed=0), "faces.png")
"""
__version__ = "0.1.0"

from ganzoo.export import export
from ganzoo.gan import GAN
from ganzoo.images import save_grid
from ganzoo.zoo import build, get_config, list_models, load

__all__ = ["GAN", "build", "export", "get_config", "list_models", "load", "save_grid",
           "__version__"]
