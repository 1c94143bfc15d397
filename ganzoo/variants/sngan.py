"""SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018): the hinge objective (Lim & Ye 2017;
Miyato et al., Eq. 16-17) with a spectrally normalised discriminator. The normalisation is a
network option (`"spectral_norm": true` in the discriminator's spec, `ganzoo.nets`), so this
file holds only the objective and its update rule: n_dis D steps per G step (Algorithm 1)."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.checks import check_count
from ganzoo.gan import GAN


@register_variant("sngan")
@keras.saving.register_keras_serializable("ganzoo")
class SNGAN(GAN):
    def __init__(self, generator, discriminator, n_dis=1, **kwargs):
        self.n_dis = check_count(n_dis, "n_dis")
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "n_dis": self.n_dis}

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        # n_dis steps of D on max(0, 1 - D(x)) + max(0, 1 + D(G(z))), each on fresh noise.
        for _ in range(self.n_dis):
            d_loss = self.discriminator_step(
                real_images, lambda real, fake, *_: losses.hinge_discriminator(real, fake))
        # G descends -D(G(z)).
        g_loss = self.generator_step(tf.shape(real_images)[0],
                                     lambda fake, _: losses.hinge_generator(fake))
        return self.report(d_loss=d_loss, g_loss=g_loss)
