"""The original GAN (Goodfellow et al. 2014, Algorithm 1), usually with the MLP stacks of
`ganzoo.nets.mlp`: k discriminator steps per generator step, and either the minimax generator
loss log(1 - D(G(z))) or the non-saturating -log D(G(z)) the paper recommends in practice."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.checks import check_count
from ganzoo.gan import GAN

GENERATOR_LOSSES = {"non_saturating": losses.generator_non_saturating,
                    "minimax": losses.generator_minimax}


@register_variant("vanilla")
@keras.saving.register_keras_serializable("ganzoo")
class VanillaGAN(GAN):
    def __init__(self, generator, discriminator, d_steps=1, generator_loss="non_saturating",
                 **kwargs):
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, "
                             f"got {generator_loss!r}.")
        self.d_steps = check_count(d_steps, "d_steps")
        self.generator_loss = generator_loss
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "d_steps": self.d_steps,
                "generator_loss": self.generator_loss}

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        # k steps of D ascending log D(x) + log(1 - D(G(z))), each on fresh noise (the real
        # minibatch is the one fit() delivered; Algorithm 1 would draw k of them).
        for _ in range(self.d_steps):
            d_loss = self.discriminator_step(
                real_images,
                lambda real, fake, *_: losses.discriminator_cross_entropy(real, fake))
        g_objective = GENERATOR_LOSSES[self.generator_loss]
        g_loss = self.generator_step(tf.shape(real_images)[0], lambda fake, _: g_objective(fake))
        return self.report(d_loss=d_loss, g_loss=g_loss)
