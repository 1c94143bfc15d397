"""BEGAN (Berthelot et al. 2017): an auto-encoder discriminator (`ganzoo.nets.autoencoder`)
whose L1 reconstruction error is the energy; k_t balances D between reconstructing real images
and rejecting generated ones, steered by the diversity ratio gamma = E[L(G(z))] / E[L(x)]."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.gan import GAN


@register_variant("began")
@keras.saving.register_keras_serializable("ganzoo")
class BEGAN(GAN):
    loss_names = ("d_loss", "g_loss", "k", "m_global")
    default_optimizer = {"class_name": "Adam", "config": {"learning_rate": 1e-4,
                                                          "beta_1": 0.5}}

    def __init__(self, generator, discriminator, gamma=0.5, lambda_k=0.001, **kwargs):
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma!r}.")
        if not lambda_k >= 0.0:
            raise ValueError(f"lambda_k must be >= 0, got {lambda_k!r}.")
        self.gamma, self.lambda_k = float(gamma), float(lambda_k)
        super().__init__(generator, discriminator, **kwargs)

    def create_state(self):
        # k_t is training state: saved and restored with the model (k_0 = 0 in the paper).
        self.k = self.add_weight(shape=(), initializer="zeros", trainable=False, name="k_t")

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "lambda_k": self.lambda_k}

    def train_step(self, data):
        real_images, _ = self.unpack(data)

        def d_objective(real_reconstructions, fake_reconstructions, real, fake):
            real_loss = losses.autoencoder_l1(real, real_reconstructions)
            fake_loss = losses.autoencoder_l1(fake, fake_reconstructions)
            d_loss, _, _, _ = losses.began_losses(real_loss, fake_loss, self.k, self.gamma,
                                                  self.lambda_k)
            # k_{t+1} and M_global from the whole (all-replica) batch, so every replica
            # stores the same k_t under a tf.distribute strategy.
            _, _, next_k, m_global = losses.began_losses(
                self.replica_mean(tf.stop_gradient(real_loss)),
                self.replica_mean(tf.stop_gradient(fake_loss)), self.k, self.gamma,
                self.lambda_k)
            return {"loss": d_loss, "next_k": next_k, "m_global": m_global}

        step = self.discriminator_step(real_images, d_objective)
        g_loss = self.generator_step(
            tf.shape(real_images)[0],
            lambda reconstructions, fake: losses.autoencoder_l1(fake, reconstructions))
        self.k.assign(step["next_k"])  # k_{t+1}, from this step's L(x) and L(G(z))
        return self.report(d_loss=step["loss"], g_loss=g_loss, k=self.k,
                           m_global=step["m_global"])
