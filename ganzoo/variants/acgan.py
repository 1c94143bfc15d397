"""AC-GAN (Odena et al. 2017): G(z, c) as in a CGAN, but D sees only the image and predicts
both its source (real/fake) and its class; D maximises L_S + L_C, G maximises L_C - L_S."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN


@register_variant("acgan")
@keras.saving.register_keras_serializable("ganzoo")
class ACGAN(GAN):
    discriminator_conditioning = "auxiliary"
    loss_names = ("d_loss", "g_loss", "real_class_accuracy")

    def __init__(self, generator, discriminator, non_saturating=True, fake_class_weight=1.0,
                 **kwargs):
        if not 0.0 <= fake_class_weight <= 1.0:
            raise ValueError(f"fake_class_weight must be in [0, 1], got {fake_class_weight!r}.")
        self.non_saturating = bool(non_saturating)
        self.fake_class_weight = float(fake_class_weight)
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "non_saturating": self.non_saturating,
                "fake_class_weight": self.fake_class_weight}

    def train_step(self, data):
        real_images, real_labels = self.unpack(data)
        batch_size = tf.shape(real_images)[0]
        fake_labels = self.sample_labels(batch_size)

        def d_objective(real_outputs, fake_outputs, *_):
            (real_logits, real_classes), (fake_logits, fake_classes) = real_outputs, fake_outputs
            loss = losses.acgan_discriminator(real_logits, fake_logits, real_classes,
                                              real_labels, fake_classes, fake_labels,
                                              self.fake_class_weight)
            hits = tf.equal(tf.argmax(real_classes, -1, output_type=tf.int32),
                            tf.cast(real_labels, tf.int32))
            return {"loss": loss, "accuracy": tf.reduce_mean(tf.cast(hits, tf.float32))}

        step = self.discriminator_step(real_images, d_objective, real_labels=real_labels,
                                       fake_labels=fake_labels)
        generated_labels = self.sample_labels(batch_size)
        g_loss = self.generator_step(
            batch_size, lambda outputs, _: losses.acgan_generator(
                outputs[0], outputs[1], generated_labels, self.non_saturating),
            fake_labels=generated_labels)
        return self.report(d_loss=step["loss"], g_loss=g_loss,
                           real_class_accuracy=step["accuracy"])
