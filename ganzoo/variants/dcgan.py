"""DCGAN (Radford, Metz & Chintala 2016): the non-saturating GAN objective of Goodfellow et al.
2014 trained on the convolutional stacks in `ganzoo.nets.dcgan`."""
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gan import GAN


@keras.saving.register_keras_serializable("ganzoo")
class DCGAN(GAN):
    """Each step: (1) update D on real images vs G(z) with G fixed; (2) update G to fool D."""

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        batch_size = tf.shape(real_images)[0]

        # Step 1: fix G, update D to maximise log D(x) + log(1 - D(G(z))).
        fake_images = self.generator(self.sample_latent(batch_size), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = losses.discriminator_cross_entropy(real_logits, fake_logits)
        self.descend(tape, d_loss, self.discriminator, self.d_optimizer)

        # Step 2: fix D, update G to minimise -log D(G(z)).
        with tf.GradientTape() as tape:
            fake_images = self.generator(self.sample_latent(batch_size), training=True)
            g_loss = losses.generator_non_saturating(
                self.discriminator(fake_images, training=True)
            )
        self.descend(tape, g_loss, self.generator, self.g_optimizer)
        self.update_ema()
        return self.report(d_loss=d_loss, g_loss=g_loss)
