"""The shared GAN base class: every variant in `ganzoo.variants` subclasses `GAN`.

The base holds what all variants share, so a variant file holds only its objective and its
`train_step`:
- the generator and discriminator sub-models, latent size and image shape;
- one `keras.metrics.Mean` per reported loss (created in `__init__`, listed in `metrics`);
- `compile(d_optimizer=..., g_optimizer=...)` and the save/load plumbing that keeps BOTH
  optimizers' state (iterations, moments) through `.keras` files;
- an optional exponential moving average (EMA) of the generator weights, used for sampling;
- the sampler (`sample`, `generate`, `interpolate`), which every variant inherits.
"""
import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganzoo.images import to_uint8

_DEFAULT_OPTIMIZER = {  # Radford et al. 2016, Section 4: Adam, lr 2e-4, beta_1 0.5.
    "class_name": "Adam",
    "config": {"learning_rate": 2e-4, "beta_1": 0.5},
}


def check_count(value, what):
    """A positive Python/NumPy integer (bools and floats are refused), else a clear ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def check_seed(seed):
    """None (fresh entropy) or a non-negative integer seed."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}.")
    return int(seed)


def slerp(start, end, t):
    """Spherical interpolation between latent vectors (White 2016, "Sampling Generative
    Networks"): stays near the Gaussian shell where the generator was trained."""
    start_unit = start / np.linalg.norm(start)
    end_unit = end / np.linalg.norm(end)
    omega = np.arccos(np.clip(np.dot(start_unit, end_unit), -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel vectors: slerp degenerates to lerp
        return (1.0 - t) * start + t * end
    return (np.sin((1.0 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)


@keras.saving.register_keras_serializable("ganzoo")
class GAN(keras.Model):
    """Base class: a generator G(z) and a discriminator (or critic) D(x) trained adversarially.

    Subclasses set `loss_names` (the metrics they report) and override `train_step`.
    Calling the model runs the generator: `model(z)` -> images in [-1, 1].
    """

    loss_names = ("d_loss", "g_loss")
    default_optimizer = _DEFAULT_OPTIMIZER

    def __init__(self, generator, discriminator, ema_decay=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(generator, dict):
            generator = keras.saving.deserialize_keras_object(generator)
        if isinstance(discriminator, dict):
            discriminator = keras.saving.deserialize_keras_object(discriminator)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.input_shape[-1])
        self.image_shape = tuple(int(d) for d in generator.output_shape[1:])
        if tuple(discriminator.input_shape[1:]) != self.image_shape:
            raise ValueError(
                f"The discriminator takes images of shape {discriminator.input_shape[1:]}, "
                f"but the generator makes {self.image_shape}."
            )
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}.")
        self.ema_decay = ema_decay
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        self._uint8_generator = None
        self.create_state()
        self.build()

    def create_state(self):
        """Hook for a variant's own training state (e.g. BEGAN's k_t): Keras requires all
        variables to exist before the model is built."""

    # ----------------------------------------------------------------- Keras plumbing
    def build(self, input_shape=None):
        # Both sub-models are functional and already built; nothing is shape-dependent here.
        self.built = True

    def call(self, z, training=False):
        return self.generator(z, training=training)

    @property
    def metrics(self):
        return list(self.loss_trackers.values())

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            ema_decay=self.ema_decay,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """`d_optimizer`/`g_optimizer`: optimizer instances, names or Keras configs; default
        to the variant's published optimizer. Remaining kwargs go to `keras.Model.compile`."""
        kwargs.setdefault("optimizer", None)  # no third, unused optimizer in checkpoints
        super().compile(**kwargs)
        self.d_optimizer = keras.optimizers.get(d_optimizer or self.default_optimizer)
        self.g_optimizer = keras.optimizers.get(g_optimizer or self.default_optimizer)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different optimizers.")

    def get_compile_config(self):
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
        }

    def compile_from_config(self, config):
        # Keras' default only rebuilds `self.optimizer`; rebuild both so that their variables
        # exist before the saved state (iterations, moments) is loaded into them.
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
        )
        self.build_optimizers()

    def build_optimizers(self):
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # Keras saves a layer's own weights but not the state of its random seed generator; keep
    # it in the file too, so a resumed run continues the same noise stream.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["seed_generator_state"] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        own = self._trainable_variables + self._non_trainable_variables
        for index, variable in enumerate(own):
            variable.assign(store[str(index)])
        if "seed_generator_state" in store:
            self.seed_generator.state.assign(store["seed_generator_state"])

    @property
    def train_steps(self):
        """Completed training steps (one generator update per step in every variant)."""
        return int(self.g_optimizer.iterations.numpy()) if hasattr(self, "g_optimizer") else 0

    # --------------------------------------------------------- helpers for train_step
    def unpack(self, data):
        """`fit` data is images or (images, labels); returns (images, labels or None).
        Checks the image shape while tracing, so a wrong dataset fails here with a clear
        message instead of deep inside a convolution."""
        images, labels = (data[0], data[1] if len(data) > 1 else None) \
            if isinstance(data, (tuple, list)) else (data, None)
        shape = tuple(images.shape[1:])
        if len(shape) != 3 or any(d is not None and d != e
                                  for d, e in zip(shape, self.image_shape)):
            raise ValueError(
                f"{self.name} trains on batches of images of shape {self.image_shape} "
                f"(batch, height, width, channels) in [-1, 1]; the dataset gives {shape}. "
                f"ganzoo.data.image_dataset(..., image_shape={self.image_shape}) resizes for you."
            )
        return images, labels

    def sample_latent(self, batch_size):
        """z ~ N(0, I) from the model's own seeded generator (its state is checkpointed)."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def discriminator_step(self, real_images, objective):
        """Step 1 of the GAN algorithm: G fixed, one optimizer step of D (or the critic) on
        `objective(real_outputs, fake_outputs, real_images, fake_images)`, fresh z. The
        objective returns the loss, or a dict with the loss under "loss" plus values to
        report; this returns what the objective returned."""
        fake_images = self.generator(self.sample_latent(tf.shape(real_images)[0]),
                                     training=True)
        with tf.GradientTape() as tape:
            real_outputs = self.discriminator(real_images, training=True)
            fake_outputs = self.discriminator(fake_images, training=True)
            result = objective(real_outputs, fake_outputs, real_images, fake_images)
            loss = result["loss"] if isinstance(result, dict) else result
        self.descend(tape, loss, self.discriminator, self.d_optimizer)
        return result

    def generator_step(self, batch_size, objective):
        """Step 2: D fixed, one optimizer step of G on `objective(fake_outputs, fake_images)`
        for a fresh batch of z; then the EMA generator follows."""
        with tf.GradientTape() as tape:
            fake_images = self.generator(self.sample_latent(batch_size), training=True)
            loss = objective(self.discriminator(fake_images, training=True), fake_images)
        self.descend(tape, loss, self.generator, self.g_optimizer)
        self.update_ema()
        return loss

    @staticmethod
    def descend(tape, loss, network, optimizer):
        """One optimizer step on `network`'s weights along -grad(loss)."""
        variables = network.trainable_variables
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    def ema_decay_at(self, step):
        """The decay used after `step` generator updates: min(ema_decay, (1+t)/(10+t)), the
        warm-up of tf.train.ExponentialMovingAverage, so early EMA weights are not dominated
        by the random initialisation."""
        step = ops.cast(step, "float32")
        return ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))

    def update_ema(self):
        """ema <- decay * ema + (1 - decay) * weights, after every generator update.
        Batch-norm moving statistics are averaged the same way."""
        if self.ema_generator is None:
            return
        decay = self.ema_decay_at(self.g_optimizer.iterations)
        for ema_weight, weight in zip(self.ema_generator.weights, self.generator.weights):
            ema_weight.assign(decay * ema_weight + (1.0 - decay) * weight)

    def report(self, **losses):
        """Updates the loss trackers and returns the logs dict for `fit`'s progress bar."""
        for name, value in losses.items():
            self.loss_trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.loss_trackers.items()}

    # ------------------------------------------------------------------- the sampler
    @property
    def sampling_generator(self):
        """The generator used for sampling and export: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def latent_noise(self, n, seed=None):
        """n latent vectors drawn from N(0, I) with NumPy's PCG64: same seed => same noise."""
        n = check_count(n, "n")
        rng = np.random.default_rng(check_seed(seed))
        return rng.standard_normal((n, self.latent_dim), dtype=np.float32)

    def generate(self, z, batch_size=256):
        """Latent vectors (n, latent_dim) -> uint8 images (n, H, W, C), in batches."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}) with n >= 1, got {z.shape}."
            )
        batch_size = check_count(batch_size, "batch_size")
        if self._uint8_generator is None:
            generator = self.sampling_generator

            # One traced graph for every batch size: the batch dimension is left open.
            @tf.function(input_signature=[tf.TensorSpec([None, self.latent_dim], tf.float32)],
                         autograph=False)
            def uint8_generator(latent):
                return to_uint8(generator(latent, training=False))

            self._uint8_generator = uint8_generator
        batches = [
            self._uint8_generator(z[start : start + batch_size]).numpy()
            for start in range(0, len(z), batch_size)
        ]
        return np.concatenate(batches)

    def sample(self, n, seed=None, batch_size=256):
        """n images as a uint8 array (n, H, W, C). The same seed gives bit-identical images."""
        return self.generate(self.latent_noise(n, seed), batch_size=batch_size)

    def interpolate(self, num_points=8, seed=None, start=None, end=None, method="slerp"):
        """Images along a path between two latent points (drawn from `seed` unless given):
        `method` is "slerp" (spherical, default) or "lerp" (straight line)."""
        num_points = check_count(num_points, "num_points")
        if method not in ("slerp", "lerp"):
            raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}.")
        if start is None or end is None:
            drawn = self.latent_noise(2, seed)
            start = drawn[0] if start is None else start
            end = drawn[1] if end is None else end
        start = np.asarray(start, np.float32).reshape(-1)
        end = np.asarray(end, np.float32).reshape(-1)
        for name, point in (("start", start), ("end", end)):
            if point.shape != (self.latent_dim,):
                raise ValueError(f"{name} must have {self.latent_dim} values, got {point.size}.")
        steps = np.linspace(0.0, 1.0, num_points)
        if method == "lerp":
            path = [(1.0 - t) * start + t * end for t in steps]
        else:
            path = [slerp(start, end, t) for t in steps]
        return self.generate(np.stack(path).astype(np.float32))
