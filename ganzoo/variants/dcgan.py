"""DCGAN (Radford, Metz & Chintala 2016): the non-saturating GAN objective of Goodfellow et al.
2014 trained on the convolutional stacks in `ganzoo.nets.dcgan`."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN


@register_variant("dcgan")
@keras.saving.register_keras_serializable("ganzoo")
class DCGAN(GAN):
    """Each step: (1) update D on real images vs G(z) with G fixed; (2) update G to fool D."""

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        # Step 1: fix G, update D to maximise log D(x) + log(1 - D(G(z))).
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: losses.discriminator_cross_entropy(real, fake))
        # Step 2: fix D, update G to minimise -log D(G(z)).
        g_loss = self.generator_step(
            tf.shape(real_images)[0], lambda fake, _: losses.generator_non_saturating(fake))
        return self.report(d_loss=d_loss, g_loss=g_loss)
