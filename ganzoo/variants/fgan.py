"""f-GAN (Nowozin et al. 2016): the discriminator's raw output V(x) goes through the output
activation g_f of the chosen f-divergence, and D maximises the variational lower bound
F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))] (see `ganzoo.losses.F_DIVERGENCES`)."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN


@register_variant("fgan")
@keras.saving.register_keras_serializable("ganzoo")
class FGAN(GAN):
    def __init__(self, generator, discriminator, divergence="jensen_shannon",
                 alternative_generator_loss=True, **kwargs):
        losses.f_divergence(divergence)  # unknown names fail here, listing the known ones
        self.divergence = divergence
        self.alternative_generator_loss = bool(alternative_generator_loss)
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "divergence": self.divergence,
                "alternative_generator_loss": self.alternative_generator_loss}

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: losses.fgan_discriminator(
                real, fake, self.divergence))
        g_loss = self.generator_step(
            tf.shape(real_images)[0], lambda fake, _: losses.fgan_generator(
                fake, self.divergence, self.alternative_generator_loss))
        return self.report(d_loss=d_loss, g_loss=g_loss)
