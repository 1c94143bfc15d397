"""One module per GAN objective; each class registers its config name where it is defined
(`ganzoo.plugins.register_variant`), and `VARIANTS` maps the names to the classes."""
from ganzoo.variants.acgan import ACGAN
from ganzoo.variants.began import BEGAN
from ganzoo.variants.cgan import CGAN
from ganzoo.variants.cyclegan import CycleGAN
from ganzoo.variants.dcgan import DCGAN
from ganzoo.variants.fgan import FGAN
from ganzoo.variants.lsgan import LSGAN
from ganzoo.variants.pix2pix import Pix2Pix
from ganzoo.variants.sngan import SNGAN
from ganzoo.variants.stylegan import StyleGAN
from ganzoo.variants.vanilla import VanillaGAN
from ganzoo.variants.wgan import WGAN, WGANGP

from ganzoo.plugins import VARIANTS  # noqa: E402  (filled by each class's @register_variant)

__all__ = ["VARIANTS", "ACGAN", "BEGAN", "CGAN", "CycleGAN", "DCGAN", "FGAN", "LSGAN", "Pix2Pix",
           "SNGAN", "StyleGAN", "VanillaGAN", "WGAN", "WGANGP"]
