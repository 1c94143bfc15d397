"""Wasserstein GANs: the critic estimates W(P_r, P_g) = max_{|f|_L <= 1} E_r[f] - E_g[f].

- `WGAN` (Arjovsky et al. 2017, Algorithm 1), the lecture notes' "four changes": no sigmoid
  on the critic, no log in the losses, weight clipping to [-c, c] after every critic step,
  RMSProp instead of momentum optimizers; n_critic = 5 critic steps per generator step.
- `WGANGP` (Gulrajani et al. 2017, Algorithm 1): the clipping is replaced by the gradient
  penalty lambda * E[(|grad D(x_hat)| - 1)^2]; Adam(1e-4, beta_1=0, beta_2=0.9); critic
  without batch norm (use `"norm": "layer"` or `"none"` in the discriminator config).

Real minibatches: Algorithm 1 samples a fresh real minibatch for each of the n_critic critic
steps. With `fresh_real_batches=True` the model asks for n_critic x B images per `train_step`
(`real_batches_per_step`; `ganzoo train` sizes its pipeline by it) and gives each critic step
its own B. By default, as in the keras-io WGAN-GP example, the n_critic steps reuse the one
real batch `fit` hands `train_step` (fresh z and epsilon each time).

The WGAN authors' code (not the paper's Algorithm 1) also runs `n_critic_boost` = 100 critic
iterations for the first `boost_first_steps` = 25 generator steps and every
`boost_every` = 500th one, so the critic is near its optimum when G starts and stays so;
`n_critic_boost=None` (default) keeps n_critic throughout.
"""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.checks import check_count
from ganzoo.gan import GAN


class _Critic(GAN):
    loss_names = ("d_loss", "g_loss", "wasserstein")
    critic_keys = ("loss", "wasserstein")  # what critic_objective returns

    def __init__(self, generator, discriminator, n_critic=5, fresh_real_batches=False,
                 n_critic_boost=None, boost_first_steps=25, boost_every=500, **kwargs):
        self.n_critic = check_count(n_critic, "n_critic")
        self.fresh_real_batches = bool(fresh_real_batches)
        self.n_critic_boost = None if n_critic_boost is None else \
            check_count(n_critic_boost, "n_critic_boost")
        self.boost_first_steps = int(boost_first_steps)
        if self.boost_first_steps < 0:
            raise ValueError(f"boost_first_steps must be >= 0, got {boost_first_steps!r}.")
        self.boost_every = check_count(boost_every, "boost_every")
        super().__init__(generator, discriminator, **kwargs)

    @property
    def real_batches_per_step(self):
        """Real minibatches one `train_step` consumes: the dataset's batch is this x B."""
        return self.n_critic if self.fresh_real_batches else 1

    def get_config(self):
        return {**super().get_config(), "n_critic": self.n_critic,
                "fresh_real_batches": self.fresh_real_batches,
                "n_critic_boost": self.n_critic_boost,
                "boost_first_steps": self.boost_first_steps, "boost_every": self.boost_every}

    def critic_iterations(self, generator_step):
        """Critic steps before generator step number `generator_step` (0-based)."""
        if self.n_critic_boost is None:
            return self.n_critic
        boost = (generator_step < self.boost_first_steps) | \
            (generator_step % self.boost_every == 0)
        return tf.where(boost, self.n_critic_boost, self.n_critic)

    def real_minibatches(self, real_images):
        """[k, B, H, W, C]: the k = real_batches_per_step minibatches of one step's data."""
        k = self.real_batches_per_step
        if k == 1:
            return real_images[None]
        message = (f"fresh_real_batches: each batch must hold n_critic = {k} real "
                   f"minibatches (a multiple of {k} images; ganzoo train sizes it so)")
        static = real_images.shape[0]
        if static is not None and static % k:
            raise ValueError(f"{message}, got a batch of {static}.")
        batch = tf.shape(real_images)[0]
        # The check must run before the reshape, whose own error names no cause.
        with tf.control_dependencies([tf.debugging.assert_equal(batch % k, 0,
                                                                message=message)]):
            return tf.reshape(real_images, tf.concat(
                [[k, batch // k], tf.shape(real_images)[1:]], axis=0))

    def critic_objective(self, real_outputs, fake_outputs, real_images, fake_images):
        raise NotImplementedError

    def after_critic_step(self):
        pass

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        minibatches = self.real_minibatches(real_images)

        def critic_step(i, _):
            result = self.discriminator_step(minibatches[i % self.real_batches_per_step],
                                             self.critic_objective)
            self.after_critic_step()
            return i + 1, {key: tf.cast(result[key], "float32") for key in self.critic_keys}

        if self.n_critic_boost is None:  # a fixed count: unrolled in the graph
            for i in range(self.n_critic):
                _, critic = critic_step(i, None)
        else:  # the boost schedule's count is a tensor
            count = self.critic_iterations(self.g_optimizer.iterations)
            _, critic = tf.while_loop(
                lambda i, _: i < count, critic_step,
                (tf.constant(0), {key: tf.constant(0.0) for key in self.critic_keys}))
        g_loss = self.generator_step(tf.shape(minibatches)[1],
                                     lambda fake, _: losses.wasserstein_generator(fake))
        # "wasserstein": E[D(x)] - E[D(G(z))] of the last critic step, the estimate of W
        return self.report(d_loss=critic["loss"], g_loss=g_loss,
                           wasserstein=critic["wasserstein"])


@register_variant("wgan")
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


@register_variant("wgan-gp")
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
