"""One module per GAN objective; `VARIANTS` maps the config name to the class."""
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

VARIANTS = {
    "vanilla": VanillaGAN,
    "dcgan": DCGAN,
    "lsgan": LSGAN,
    "wgan": WGAN,
    "wgan-gp": WGANGP,
    "sngan": SNGAN,
    "stylegan": StyleGAN,
    "began": BEGAN,
    "fgan": FGAN,
    "cgan": CGAN,
    "acgan": ACGAN,
    "pix2pix": Pix2Pix,
    "cyclegan": CycleGAN,
}
