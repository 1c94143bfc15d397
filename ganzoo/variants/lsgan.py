"""LSGAN (Mao et al. 2017): least-squares losses with targets a (fake), b (real) and c (what
G wants D to say). Default a=-1, b=1, c=0 is the lecture notes' form; a=0, b=1, c=1 is the
paper's 0-1 coding."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN


@register_variant("lsgan")
@keras.saving.register_keras_serializable("ganzoo")
class LSGAN(GAN):
    def __init__(self, generator, discriminator, a=-1.0, b=1.0, c=0.0, **kwargs):
        if a == b:
            raise ValueError(f"LSGAN needs different targets for fake (a) and real (b); "
                             f"got a = b = {a}.")
        self.a, self.b, self.c = float(a), float(b), float(c)
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "a": self.a, "b": self.b, "c": self.c}

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: losses.least_squares_discriminator(
                real, fake, a=self.a, b=self.b))
        g_loss = self.generator_step(
            tf.shape(real_images)[0],
            lambda fake, _: losses.least_squares_generator(fake, c=self.c))
        return self.report(d_loss=d_loss, g_loss=g_loss)
