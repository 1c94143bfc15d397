"""One module per GAN objective; `VARIANTS` maps the config name to the class."""
from ganzoo.variants.dcgan import DCGAN

VARIANTS = {"dcgan": DCGAN}
