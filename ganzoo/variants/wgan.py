"""Wasserstein GANs: the critic estimates W(P_r, P_g) = max_{|f|_L <= 1} E_r[f] - E_g[f].

- `WGAN` (Arjovsky et al. 2017, Algorithm 1), the lecture notes' "four changes": no sigmoid
  on the critic, no log in the losses, weight clipping to [-c, c] after every critic step,
  RMSProp instead of momentum optimizers; n_critic = 5 critic steps per generator step.
- `WGANGP` (Gulrajani et al. 2017, Algorithm 1): the clipping is replaced by the gradient
  penalty lambda * E[(|grad D(x_hat)| - 1)^2]; Adam(1e-4, beta_1=0, beta_2=0.9); critic
  without batch norm (use `"norm": "layer"` or `"none"` in the discriminator config).

One difference from both papers' Algorithm 1, as in the keras-io WGAN-GP example: the n_critic
critic steps of one `train_step` reuse the step's real batch (with fresh z and, for the
penalty, fresh epsilon each time), because `fit` hands `train_step` one batch.
"""
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gan import GAN, check_count


class _Critic(GAN):
    loss_names = ("d_loss", "g_loss", "wasserstein")

    def __init__(self, generator, discriminator, n_critic=5, **kwargs):
        self.n_critic = check_count(n_critic, "n_critic")
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "n_critic": self.n_critic}

    def critic_objective(self, real_outputs, fake_outputs, real_images, fake_images):
        raise NotImplementedError

    def after_critic_step(self):
        pass

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        for _ in range(self.n_critic):
            critic = self.discriminator_step(real_images, self.critic_objective)
            self.after_critic_step()
        g_loss = self.generator_step(tf.shape(real_images)[0],
                                     lambda fake, _: losses.wasserstein_generator(fake))
        # "wasserstein": E[D(x)] - E[D(G(z))] of the last critic step, the estimate of W
        return self.report(d_loss=critic["loss"], g_loss=g_loss,
                           wasserstein=critic["wasserstein"])


@keras.saving.register_keras_serializable("ganzoo")
class WGAN(_Critic):
    default_optimizer = {"class_name": "RMSprop", "config": {"learning_rate": 5e-5}}

    def __init__(self, generator, discriminator, clip_value=0.01, **kwargs):
        if not clip_value > 0:
            raise ValueError(f"clip_value must be positive, got {clip_value!r}.")
        self.clip_value = float(clip_value)
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}

    def critic_objective(self, real_outputs, fake_outputs, real_images, fake_images):
        loss = losses.wasserstein_critic(real_outputs, fake_outputs)
        return {"loss": loss, "wasserstein": -loss}

    def after_critic_step(self):
        for weight in self.discriminator.trainable_weights:  # keep the critic K-Lipschitz
            weight.assign(tf.clip_by_value(weight, -self.clip_value, self.clip_value))


@keras.saving.register_keras_serializable("ganzoo")
class WGANGP(_Critic):
    default_optimizer = {"class_name": "Adam",
                         "config": {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9}}

    def __init__(self, generator, discriminator, gp_weight=10.0, **kwargs):
        if not gp_weight >= 0:
            raise ValueError(f"gp_weight (lambda) must be >= 0, got {gp_weight!r}.")
        self.gp_weight = float(gp_weight)
        super().__init__(generator, discriminator, **kwargs)

    def get_config(self):
        return {**super().get_config(), "gp_weight": self.gp_weight}

    def critic_objective(self, real_outputs, fake_outputs, real_images, fake_images):
        wasserstein_loss = losses.wasserstein_critic(real_outputs, fake_outputs)
        epsilon = self.draw_per_example(
            lambda n: keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator),
            tf.shape(real_images)[0])
        penalty = losses.gradient_penalty(self.discriminator, real_images, fake_images, epsilon)
        return {"loss": wasserstein_loss + self.gp_weight * penalty,
                "wasserstein": -wasserstein_loss}
