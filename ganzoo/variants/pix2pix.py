"""pix2pix (Isola et al. 2017): a conditional GAN for paired data. G(x) is a U-Net, D(x, y) a
PatchGAN that sees the input with the real or the translated image; G also minimises
lambda * |y - G(x)|_1 (Eq. 4, lambda = 100), so the GAN term only has to add the sharpness
L1 alone blurs away. `fit` data: (source images, target images) batches in [-1, 1].
`gan_weight=0` gives the paper's "L1 only" baseline (the same U-Net, no discriminator)."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.nets import build_image_network
from ganzoo.translation import ImageTranslator


@register_variant("pix2pix")
@keras.saving.register_keras_serializable("ganzoo")
class Pix2Pix(ImageTranslator):
    loss_names = ("d_loss", "g_loss", "g_gan", "g_l1")

    def __init__(self, generator, discriminator, l1_weight=100.0, gan_weight=1.0, **kwargs):
        if isinstance(generator, dict):
            generator = keras.saving.deserialize_keras_object(generator)
        if isinstance(discriminator, dict):
            discriminator = keras.saving.deserialize_keras_object(discriminator)
        for name, value in (("l1_weight (lambda)", l1_weight), ("gan_weight", gan_weight)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}.")
        if len(discriminator.inputs) != 2:
            raise ValueError("pix2pix needs a conditional PatchGAN: inputs [source, image] "
                             "(patchgan_discriminator(..., condition_shape=source_shape)).")
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.translators = {"a2b": generator}
        self.l1_weight, self.gan_weight = float(l1_weight), float(gan_weight)
        self.build()

    def get_config(self):
        return {**super().get_config(), "l1_weight": self.l1_weight,
                "gan_weight": self.gan_weight,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    @classmethod
    def from_zoo_config(cls, config, seed=None):
        """Networks from a zoo config: `source_shape` (A) -> `image_shape` (B)."""
        source, target = tuple(config["source_shape"]), tuple(config["image_shape"])
        generator = build_image_network("generator", config["generator"],
                                        source_shape=source, target_shape=target)
        discriminator = build_image_network("discriminator", config["discriminator"],
                                            image_shape=target, condition_shape=source)
        return cls(generator, discriminator, **cls.zoo_options(config, seed))

    @property
    def discriminator_networks(self):
        return [self.discriminator]

    def train_step(self, data):
        sources, targets = self.unpack_pair(data)
        if self.gan_weight == 0:  # the L1-only baseline: no discriminator to train
            with tf.GradientTape() as tape:
                g_l1 = losses.mean_absolute_error(self.generator(sources, training=True),
                                                  targets)
                g_loss = self.l1_weight * g_l1
            self.descend(tape, g_loss, self.generator, self.g_optimizer)
            zero = tf.constant(0.0)
            return self.report(d_loss=zero, g_loss=g_loss, g_gan=zero, g_l1=g_l1)
        with tf.GradientTape() as g_tape:
            translated = self.generator(sources, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                real_logits = self.discriminator([sources, targets], training=True)
                fake_logits = self.discriminator([sources, tf.stop_gradient(translated)],
                                                 training=True)
                d_loss = losses.pix2pix_discriminator(real_logits, fake_logits)
            with g_tape.stop_recording():
                self.descend(d_tape, d_loss, self.discriminator, self.d_optimizer)
            # G's step is judged by the updated D, as in the authors' code.
            fake_logits = self.discriminator([sources, translated], training=True)
            g_loss, g_gan, g_l1 = losses.pix2pix_generator(  # Eq. 4
                fake_logits, translated, targets, self.l1_weight, self.gan_weight)
        self.descend(g_tape, g_loss, self.generator, self.g_optimizer)
        return self.report(d_loss=d_loss, g_loss=g_loss, g_gan=g_gan, g_l1=g_l1)
