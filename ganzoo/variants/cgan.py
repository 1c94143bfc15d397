"""Conditional GAN (Mirza & Osindero 2014, Eq. 2): G and D both see the class y;
min_G max_D E[log D(x|y)] + E[log(1 - D(G(z|y)|y))], with the non-saturating G loss.
Networks are conditioned as described in `ganzoo.nets.conditioning`."""
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gan import GAN


@keras.saving.register_keras_serializable("ganzoo")
class CGAN(GAN):
    discriminator_conditioning = "input"

    def train_step(self, data):
        real_images, real_labels = self.unpack(data)
        batch_size = tf.shape(real_images)[0]
        # Step 1: D tells real (x, y) from generated (G(z|y'), y'), y' drawn uniformly.
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: losses.discriminator_cross_entropy(real, fake),
            real_labels=real_labels, fake_labels=self.sample_labels(batch_size))
        # Step 2: G makes D accept G(z|y) as an image of class y.
        g_loss = self.generator_step(
            batch_size, lambda fake, _: losses.generator_non_saturating(fake),
            fake_labels=self.sample_labels(batch_size))
        return self.report(d_loss=d_loss, g_loss=g_loss)
