"""Conditional GAN (Mirza & Osindero 2014, Eq. 2): G and D both see the class y;
min_G max_D E[log D(x|y)] + E[log(1 - D(G(z|y)|y))], with the non-saturating G loss; or,
with `adversarial_loss="hinge"`, the hinge objective of SNGAN and the projection
discriminator (Miyato & Koyama 2018, Section 4: max(0, 1 - D(x, y)) + max(0, 1 + D(G(z, y), y))
for D, -D(G(z, y), y) for G). Networks are conditioned as described in
`ganzoo.nets.conditioning`."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN

# adversarial_loss -> (D loss on (real logits, fake logits), G loss on fake logits)
ADVERSARIAL_LOSSES = {
    "cross_entropy": (losses.discriminator_cross_entropy, losses.generator_non_saturating),
    "hinge": (losses.hinge_discriminator, losses.hinge_generator),
}


@register_variant("cgan")
@keras.saving.register_keras_serializable("ganzoo")
class CGAN(GAN):
    discriminator_conditioning = "input"

    def __init__(self, generator, discriminator, adversarial_loss="cross_entropy", **kwargs):
        if adversarial_loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"adversarial_loss must be one of "
                             f"{', '.join(ADVERSARIAL_LOSSES)}, got {adversarial_loss!r}.")
        self.adversarial_loss = adversarial_loss
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "adversarial_loss": self.adversarial_loss}

    def train_step(self, data):
        real_images, real_labels = self.unpack(data)
        batch_size = tf.shape(real_images)[0]
        d_objective, g_objective = ADVERSARIAL_LOSSES[self.adversarial_loss]
        # Step 1: D tells real (x, y) from generated (G(z|y'), y'), y' drawn uniformly.
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: d_objective(real, fake),
            real_labels=real_labels, fake_labels=self.sample_labels(batch_size))
        # Step 2: G makes D accept G(z|y) as an image of class y.
        g_loss = self.generator_step(
            batch_size, lambda fake, _: g_objective(fake),
            fake_labels=self.sample_labels(batch_size))
        return self.report(d_loss=d_loss, g_loss=g_loss)
