"""StyleGAN2 (Karras et al. 2020) at small scale: the networks are `ganzoo.nets.stylegan`
(mapping, modulated/demodulated synthesis with noise and skip toRGBs, residual D); this file
holds the training algorithm: the non-saturating logistic loss, lazy R1 on reals, style-mixing
regularisation and the tracked w average, plus truncation and mixing for the sampler.

Each step, as the official training loop's phases:
  Dmain: D descends softplus(D(G(z))) + softplus(-D(x))
  Dreg:  every `r1_interval` steps, D descends (gamma / 2) * R1 * r1_interval (lazy R1)
  Gmain: G descends softplus(-D(G(z)))
G(z) always mixes styles with probability `style_mixing`: two z, their w switched at a random
layer (Karras et al. 2019, Section 3.1)."""
import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganzoo.plugins import register_variant
from ganzoo import losses
from ganzoo.checks import check_count
from ganzoo.export import checked_input
from ganzoo.gan import GAN
from ganzoo.images import to_uint8


@register_variant("stylegan")
@keras.saving.register_keras_serializable("ganzoo")
class StyleGAN(GAN):
    loss_names = ("d_loss", "g_loss", "r1")
    truncation_space = "w"

    def __init__(self, generator, discriminator, r1_gamma=0.0128, r1_interval=16,
                 style_mixing=0.9, w_avg_beta=0.995, **kwargs):
        self.r1_gamma = float(r1_gamma)
        self.r1_interval = check_count(r1_interval, "r1_interval")
        if not 0.0 <= style_mixing <= 1.0:
            raise ValueError(f"style_mixing is a probability in [0, 1], got {style_mixing!r}.")
        self.style_mixing, self.w_avg_beta = float(style_mixing), float(w_avg_beta)
        super().__init__(generator, discriminator, **kwargs)

    def create_state(self):
        self.last_r1 = keras.Variable(0.0, trainable=False, name="last_r1")

    def get_config(self):
        return {**super().get_config(), "r1_gamma": self.r1_gamma,
                "r1_interval": self.r1_interval, "style_mixing": self.style_mixing,
                "w_avg_beta": self.w_avg_beta}

    # ------------------------------------------------------------ the generator's parts
    @staticmethod
    def parts(generator):
        """(mapping, w_avg, synthesis) of a `stylegan_generator`."""
        return (generator.get_layer("mapping"), generator.get_layer("w_avg"),
                generator.get_layer("synthesis"))

    @property
    def num_ws(self):
        return int(self.generator.get_layer("synthesis").inputs[0].shape[1])

    def mix(self, w_first, w_second, crossover):
        """ws whose layers [0, crossover) take w_first and [crossover, num_ws) w_second."""
        first_layers = ops.arange(self.num_ws)[None, :, None] < crossover
        return ops.where(first_layers, w_first[:, None, :], w_second[:, None, :])

    def synthesize(self, z, labels=None, training=False, generator=None):
        generator = generator or self.generator
        if not training:
            return generator(z, training=False)
        mapping, w_avg, synthesis = self.parts(generator)
        batch = tf.shape(z)[0]
        w = mapping(z, training=True)
        w_avg.track(w, self.w_avg_beta)
        # Style mixing: with probability style_mixing, a second z takes over at a layer
        # drawn uniformly from [1, num_ws); otherwise the crossover is num_ws (no mixing).
        w_second = mapping(self.sample_latent(batch), training=True)
        draw = keras.random.uniform((2,), seed=self.seed_generator)
        crossover = ops.cast(1 + ops.floor(draw[0] * (self.num_ws - 1)), "int32")
        crossover = ops.where(draw[1] < self.style_mixing, crossover, self.num_ws)
        return synthesis(self.mix(w, w_second, crossover), training=True)

    # ------------------------------------------------------------------- training
    def r1_step(self, real_images):
        """Dreg: one D step on (gamma / 2) * R1 * r1_interval (Karras et al. 2020, lazy
        regularisation: the same expected gradient at 1/r1_interval of the cost)."""
        real_images = self.seen_by_discriminator(real_images)
        with tf.GradientTape() as tape:
            penalty = losses.r1_penalty(
                lambda x: self.discriminate(x, training=True), real_images)
            loss = penalty * (self.r1_gamma / 2.0) * self.r1_interval
        self.descend(tape, loss, self.discriminator, self.d_optimizer)
        self.last_r1.assign(penalty)
        return penalty

    def train_step(self, data):
        real_images, _ = self.unpack(data)
        # Dmain: softplus(D(G(z))) + softplus(-D(x)).
        d_loss = self.discriminator_step(
            real_images, lambda real, fake, *_: losses.discriminator_cross_entropy(real, fake))
        # Dreg: lazy R1, on the steps where (step % r1_interval) == 0.
        if self.r1_gamma > 0:
            tf.cond(self.g_optimizer.iterations % self.r1_interval == 0,
                    lambda: self.r1_step(real_images), lambda: self.last_r1.value)
        # Gmain: softplus(-D(G(z))).
        g_loss = self.generator_step(
            tf.shape(real_images)[0], lambda fake, _: losses.generator_non_saturating(fake))
        return self.report(d_loss=d_loss, g_loss=g_loss, r1=self.last_r1.value)

    # ------------------------------------------------------------------- sampling
    def ws_for(self, z, truncation=1.0, mix_z=None, crossover=None, generator=None):
        """The per-layer styles the sampler feeds the synthesis network: w = mapping(z),
        truncated toward w_avg by psi = truncation, and with `mix_z` (the same count of
        latent vectors) its w from layer `crossover` on (style mixing)."""
        mapping, w_avg, _ = self.parts(generator or self.sampling_generator)
        w = w_avg.truncate(mapping(z, training=False), truncation)
        if mix_z is None:
            return ops.repeat(w[:, None, :], self.num_ws, axis=1)
        w_mix = w_avg.truncate(mapping(mix_z, training=False), truncation)
        return self.mix(w, w_mix, crossover)

    def _build_uint8_generator(self):
        generator = self.sampling_generator
        _, _, synthesis = self.parts(generator)
        signature = [tf.TensorSpec([None, self.latent_dim], tf.float32),
                     tf.TensorSpec([], tf.float32)]

        @tf.function(input_signature=signature, autograph=False)
        def uint8_generator(latent, truncation):
            return to_uint8(synthesis(self.ws_for(latent, truncation, generator=generator),
                                      training=False))

        return uint8_generator

    def synthesis_options(self, truncation):
        return {"truncation": tf.constant(1.0 if truncation is None else truncation,
                                          tf.float32)}

    def mix_styles(self, z_rows, z_columns, crossover, truncation=None):
        """Karras et al. 2019, Figure 3's grid: image (i, j) has z_rows[i]'s styles before
        layer `crossover` (coarse: pose, face shape at low indices) and z_columns[j]'s from
        it on. Returns uint8 (len(z_rows), len(z_columns), H, W, C)."""
        truncation = 1.0 if self.check_truncation(truncation) is None else truncation
        crossover = check_count(crossover, "crossover")
        if crossover >= self.num_ws:
            raise ValueError(f"crossover must be in [1, {self.num_ws - 1}] (the layer whose "
                             f"style comes from the second z), got {crossover}.")
        z_rows, z_columns = (np.asarray(z, np.float32) for z in (z_rows, z_columns))
        first = np.repeat(z_rows, len(z_columns), axis=0)
        second = np.tile(z_columns, (len(z_rows), 1))
        _, _, synthesis = self.parts(self.sampling_generator)
        ws = self.ws_for(first, truncation, mix_z=second, crossover=crossover)
        images = to_uint8(synthesis(ws, training=False))
        return np.asarray(images).reshape(len(z_rows), len(z_columns), *self.image_shape)

    def serving_endpoints(self):
        """serving_default: z (+ optional truncation psi, default 1) -> uint8 images."""
        generator = self.sampling_generator
        _, _, synthesis = self.parts(generator)

        def serve(z, truncation):
            z = checked_input(z, [self.latent_dim], "z")
            return {"images": to_uint8(synthesis(self.ws_for(z, truncation,
                                                             generator=generator)))}

        def serve_untruncated(z):
            return serve(z, tf.constant(1.0))

        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        return {"serving_default": (serve_untruncated, [z_spec]),
                "truncated": (serve, [z_spec, tf.TensorSpec([], tf.float32,
                                                            name="truncation")])}
