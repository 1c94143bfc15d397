"""The shared GAN base class: every variant in `ganzoo.variants` subclasses `GAN`.

The base holds what all noise-to-image variants share, so a variant file holds only its
objective and its `train_step` (loss trackers, the two optimizers and the replica-safe update
helpers come from `ganzoo.adversarial.AdversarialModel`):
- the generator and discriminator sub-models, latent size and image shape;
- an optional exponential moving average (EMA) of the generator weights, used for sampling;
- the sampler (`sample`, `generate`, `interpolate`), which every variant inherits.
"""
import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganzoo.adversarial import AdversarialModel
from ganzoo.augment import diff_augment, parse_policy
from ganzoo.checks import check_count, check_seed, class_indices, format_bytes
from ganzoo.export import checked_input, checked_labels
from ganzoo.images import to_uint8
from ganzoo.nets import build_network


# `sample`/`generate` return one array; above this they refuse (with the size) and point to
# `iter_samples`, which streams any number of images in batches.
SAMPLE_LIMIT_BYTES = 2 << 30


def slerp(start, end, t):
    """Spherical interpolation between latent vectors (White 2016, "Sampling Generative
    Networks"): stays near the Gaussian shell where the generator was trained."""
    start_unit = start / np.linalg.norm(start)
    end_unit = end / np.linalg.norm(end)
    omega = np.arccos(np.clip(np.dot(start_unit, end_unit), -1.0, 1.0))
    if omega < 1e-6 or np.pi - omega < 1e-6:  # (anti)parallel: sin(omega) = 0, use lerp
        return (1.0 - t) * start + t * end
    return (np.sin((1.0 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)


class GAN(AdversarialModel):
    """Base class: a generator G(z) and a discriminator (or critic) D(x) trained adversarially.

    Subclasses set `loss_names` (the metrics they report) and override `train_step`.
    Calling the model runs the generator: `model(z)` -> images in [-1, 1].
    """

    # How a conditional variant's discriminator sees the class: None (unconditional),
    # "input" (CGAN: labels are a second input) or "auxiliary" (AC-GAN: a class head).
    discriminator_conditioning = None
    # Where the truncation trick acts: "z" (BigGAN, Brock et al. 2019, Section 3.1: each
    # latent component beyond the threshold is redrawn) or "w" (StyleGAN, Karras et al.
    # 2019, Eq. 2: w' = w_avg + psi (w - w_avg), in the mapped latent space).
    truncation_space = "z"

    def __init__(self, generator, discriminator, ema_decay=None, seed=None, num_classes=None,
                 class_names=None, augment=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        # DiffAugment policy (ganzoo.augment): what D sees of every real and generated image.
        self.augment_policy = parse_policy(augment)
        if isinstance(generator, dict):
            generator = keras.saving.deserialize_keras_object(generator)
        if isinstance(discriminator, dict):
            discriminator = keras.saving.deserialize_keras_object(discriminator)
        self.generator = generator
        self.discriminator = discriminator
        # A conditional generator takes [z, labels]; a conditional (CGAN) discriminator
        # takes [images, labels]; an AC-GAN discriminator takes images and predicts labels.
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.image_shape = tuple(int(d) for d in generator.outputs[0].shape[1:])
        if tuple(discriminator.inputs[0].shape[1:]) != self.image_shape:
            raise ValueError(
                f"The discriminator takes images of shape {discriminator.inputs[0].shape[1:]}, "
                f"but the generator makes {self.image_shape}."
            )
        self.num_classes = None if num_classes is None else int(num_classes)
        if self.num_classes is not None and self.discriminator_conditioning is None:
            raise ValueError(f"{type(self).__name__} is unconditional; num_classes needs a "
                             f"conditional variant (cgan, acgan).")
        if self.num_classes is None and self.discriminator_conditioning is not None:
            raise ValueError(f"{type(self).__name__} is conditional: give num_classes.")
        if (len(generator.inputs) == 2) != (self.num_classes is not None):
            raise ValueError("A conditional generator (inputs [z, labels]) needs num_classes, "
                             "and num_classes needs a conditional generator.")
        if class_names is not None and len(class_names) != self.num_classes:
            raise ValueError(f"class_names has {len(class_names)} names for "
                             f"{self.num_classes} classes.")
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.discriminator_takes_labels = len(discriminator.inputs) == 2
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}.")
        self.ema_decay = ema_decay
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self._uint8_generator = None
        self.create_state()
        self.build()

    def create_state(self):
        """Hook for a variant's own training state (e.g. BEGAN's k_t): Keras requires all
        variables to exist before the model is built."""

    # ----------------------------------------------------------------- Keras plumbing
    @property
    def conditional(self):
        return self.num_classes is not None

    def call(self, z, labels=None, training=False):
        return self.synthesize(z, labels, training=training)

    def synthesize(self, z, labels=None, training=False, generator=None):
        """G(z) or, for conditional models, G(z, labels)."""
        generator = generator or self.generator
        return generator(z if labels is None else [z, labels], training=training)

    def discriminate(self, images, labels=None, training=False):
        """D(x), or D(x, labels) when the discriminator is conditioned on the class."""
        if self.discriminator_takes_labels:
            return self.discriminator([images, labels], training=training)
        return self.discriminator(images, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            ema_decay=self.ema_decay,
            augment=",".join(self.augment_policy) or None,
            num_classes=self.num_classes,
            class_names=self.class_names,
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_zoo_config(cls, config, seed=None):
        """G(z) and D(x) from the config's network specs, latent size and image shape; a
        conditional variant's networks also get the class count where it conditions them."""
        latent_dim, image_shape = config["latent_dim"], tuple(config["image_shape"])
        num_classes = config.get("num_classes")
        generator_spec, discriminator_spec = dict(config["generator"]), \
            dict(config["discriminator"])
        if num_classes and cls.discriminator_conditioning:
            generator_spec["num_classes"] = num_classes
            key = {"input": "num_classes", "auxiliary": "aux_classes"}[
                cls.discriminator_conditioning]
            discriminator_spec[key] = num_classes
        generator = build_network("generator", generator_spec,
                                  latent_dim=latent_dim, image_shape=image_shape)
        discriminator = build_network("discriminator", discriminator_spec,
                                      latent_dim=latent_dim, image_shape=image_shape)
        return cls(generator, discriminator, ema_decay=config.get("ema_decay"),
                   augment=config.get("augment"), num_classes=num_classes,
                   class_names=config.get("class_names"), **cls.zoo_options(config, seed))

    @property
    def generator_networks(self):
        return [self.generator]

    @property
    def discriminator_networks(self):
        return [self.discriminator]

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
        if self.conditional and labels is None:
            raise ValueError(f"{self.name} is conditional on {self.num_classes} classes: fit it "
                             f"on (images, labels) batches, e.g. an .npz with a label array.")
        return images, labels

    def sample_latent(self, batch_size):
        """z ~ N(0, I) from the model's own seeded generator (its state is checkpointed)."""
        return self.draw_per_example(
            lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator),
            batch_size)

    def sample_labels(self, batch_size):
        """Class labels drawn uniformly, for the generated half of a conditional batch."""
        return self.draw_per_example(
            lambda n: keras.random.randint((n,), 0, self.num_classes, dtype="int32",
                                           seed=self.seed_generator), batch_size)

    def seen_by_discriminator(self, images):
        """What D is shown of a batch: the images through the DiffAugment policy (Zhao et al.
        2020: real and generated alike, in both players' steps), or unchanged without one."""
        if not self.augment_policy:
            return images
        batch = tf.shape(images)[0]
        return diff_augment(images, self.augment_policy, lambda tail: self.draw_per_example(
            lambda n: keras.random.uniform((n, *tail), seed=self.seed_generator), batch))

    def discriminator_step(self, real_images, objective, real_labels=None, fake_labels=None):
        """Step 1 of the GAN algorithm: G fixed, one optimizer step of D (or the critic) on
        `objective(real_outputs, fake_outputs, real_images, fake_images)`, fresh z (and the
        given labels for conditional models). The objective returns the loss, or a dict
        with the loss under "loss" plus values to report; this returns what it returned.
        With an augment policy, D and the objective see the augmented images."""
        fake_images = self.synthesize(self.sample_latent(tf.shape(real_images)[0]),
                                      fake_labels, training=True)
        real_images = self.seen_by_discriminator(real_images)
        fake_images = self.seen_by_discriminator(fake_images)
        with tf.GradientTape() as tape:
            real_outputs = self.discriminate(real_images, real_labels, training=True)
            fake_outputs = self.discriminate(fake_images, fake_labels, training=True)
            result = objective(real_outputs, fake_outputs, real_images, fake_images)
            loss = result["loss"] if isinstance(result, dict) else result
        self.descend(tape, loss, self.discriminator, self.d_optimizer)
        return result

    def generator_step(self, batch_size, objective, fake_labels=None):
        """Step 2: D fixed, one optimizer step of G on `objective(fake_outputs, fake_images)`
        for a fresh batch of z (and `fake_labels`); then the EMA generator follows."""
        with tf.GradientTape() as tape:
            fake_images = self.seen_by_discriminator(self.synthesize(
                self.sample_latent(batch_size), fake_labels, training=True))
            loss = objective(self.discriminate(fake_images, fake_labels, training=True),
                             fake_images)
        self.descend(tape, loss, self.generator, self.g_optimizer)
        self.update_ema()
        return loss

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

    # ------------------------------------------------------------------- the sampler
    def shipped_network(self):
        return self.sampling_generator

    def preview(self, num, seed):
        return self.sample(num, seed=seed)

    @property
    def export_networks(self):
        return [self.sampling_generator]

    def serving_endpoints(self):
        """{name: (function, input signature)} for `ganzoo.export`: z [+ labels] -> uint8."""
        generator = self.sampling_generator
        signature = [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")]
        if self.conditional:  # class-conditional models take a second named input
            signature.append(tf.TensorSpec([None], tf.int32, name="labels"))

        def serve(z, labels=None):
            z = checked_input(z, [self.latent_dim], "z")
            if labels is not None:
                labels = checked_labels(labels, tf.shape(z)[0], self.num_classes)
            return {"images": to_uint8(self.synthesize(z, labels, generator=generator))}

        return {"serving_default": (serve, signature)}

    @property
    def sampling_generator(self):
        """The generator used for sampling and export: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def latent_noise(self, n, seed=None, truncation=None):
        """n latent vectors drawn from N(0, I) with NumPy's PCG64: same seed => same noise.
        With `truncation` (z-space models), from N(0, I) truncated to |z_i| <= truncation:
        every component beyond it is redrawn until none is (Brock et al. 2019's truncation
        trick; smaller values trade variety for fidelity). Without it, the stream is
        exactly the untruncated one."""
        n = check_count(n, "n")
        return self._draw_noise(np.random.default_rng(check_seed(seed)), n, truncation)

    def _draw_noise(self, rng, n, truncation):
        if self.truncation_space != "z" or self.check_truncation(truncation) is None:
            return rng.standard_normal((n, self.latent_dim), dtype=np.float32)
        # Row by row, each row's redraws before the next row: the stream does not depend on
        # how many rows are drawn at once (sample and iter_samples' batches agree).
        z = np.empty((n, self.latent_dim), np.float32)
        for row in z:
            row[:] = rng.standard_normal(self.latent_dim, dtype=np.float32)
            outside = np.abs(row) > truncation
            while outside.any():
                row[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
                outside = np.abs(row) > truncation
        return z

    def check_truncation(self, truncation):
        """None, or a truncation value this model accepts (refused with what is accepted)."""
        if truncation is None:
            return None
        valid = isinstance(truncation, (int, float, np.floating, np.integer)) and \
            not isinstance(truncation, bool) and np.isfinite(truncation)
        if self.truncation_space == "z" and not (valid and truncation > 0):
            raise ValueError(f"truncation for {self.name} is the threshold |z_i| <= t of "
                             f"its truncated-normal noise: a number > 0 (e.g. 0.5 to 2.0), "
                             f"got {truncation!r}.")
        if self.truncation_space == "w" and not (valid and 0 <= truncation <= 1):
            raise ValueError(f"truncation for {self.name} is psi in w' = w_avg + psi "
                             f"(w - w_avg): a number in [0, 1] (1 = none), got "
                             f"{truncation!r}.")
        return float(truncation)

    def parse_labels(self, labels, n):
        """Class labels for n samples as int32: integer indices and class names, mixed
        freely (`ganzoo.checks.class_indices`), or one value for all n."""
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"{self.name} is unconditional: it takes no labels.")
            return None
        if isinstance(labels, (str, bytes)) or np.ndim(labels) == 0:
            labels = [labels] * n
        values = labels if isinstance(labels, (list, tuple)) else np.asarray(labels)
        if len(values) != n:
            raise ValueError(f"Got {len(values)} labels for {n} samples; give one label per "
                             f"sample or a single label for all.")
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        return class_indices(values, self.num_classes, names)

    def generate(self, z, labels=None, *, batch_size=256, truncation=None):
        """Latent vectors (n, latent_dim) [+ labels for conditional models] -> uint8 images
        (n, H, W, C), in batches. `truncation` is for w-space models (psi toward the mean
        w); z-space models truncate when drawing noise (`latent_noise`, `sample`)."""
        if truncation is not None and self.truncation_space == "z":
            raise ValueError(f"{self.name} truncates its noise when drawing it, not the z "
                             f"you pass: use sample(n, truncation=...) or "
                             f"latent_noise(n, seed, truncation=...).")
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}) with n >= 1, got {z.shape}."
            )
        if not np.isfinite(z).all():
            row, column = np.argwhere(~np.isfinite(z))[0]
            raise ValueError(f"z[{row}, {column}] is {z[row, column]}: latent vectors must be "
                             f"finite (the generator would turn them into blank images).")
        batch_size = check_count(batch_size, "batch_size")
        self.check_sample_size(len(z))
        if self.conditional and labels is None:
            raise ValueError(f"{self.name} is conditional: give labels (ints or class "
                             f"names {self.class_names or list(range(self.num_classes))}).")
        labels = self.parse_labels(labels, len(z))
        if self._uint8_generator is None:
            self._uint8_generator = self._build_uint8_generator()
        options = self.synthesis_options(truncation)
        batches = []
        for start in range(0, len(z), batch_size):
            inputs = [z[start : start + batch_size]]
            if labels is not None:
                inputs.append(labels[start : start + batch_size])
            batches.append(self._uint8_generator(*inputs, **options).numpy())
        return np.concatenate(batches)

    def synthesis_options(self, truncation):
        """Extra keyword inputs of the uint8 generator for a w-space truncation (none for
        z-space models)."""
        return {}

    def _build_uint8_generator(self):
        generator = self.sampling_generator
        # One traced graph for every batch size: the batch dimension is left open.
        signature = [tf.TensorSpec([None, self.latent_dim], tf.float32)]
        if self.conditional:
            signature.append(tf.TensorSpec([None], tf.int32))

        @tf.function(input_signature=signature, autograph=False)
        def uint8_generator(latent, labels=None):
            return to_uint8(self.synthesize(latent, labels, generator=generator))

        return uint8_generator

    def check_sample_size(self, n):
        """Refuses, with the estimated size, an output array above SAMPLE_LIMIT_BYTES."""
        size = n * (int(np.prod(self.image_shape)) + 4 * self.latent_dim)
        if size > SAMPLE_LIMIT_BYTES:
            raise ValueError(
                f"{n:,} samples of {'x'.join(map(str, self.image_shape))} would take "
                f"{format_bytes(size)} in memory (limit {format_bytes(SAMPLE_LIMIT_BYTES)}). "
                f"Stream them in batches instead: for images in model.iter_samples({n}, "
                f"seed=...): ... (the same images as sample would give).")

    def drawn_labels(self, n, seed=None):
        """The classes `sample(n, seed=seed)` draws when given no labels: uniform, from a
        PCG64 stream of the same seed (beside the noise's). The one label sampler:
        `iter_samples` reads the same stream in order, and evaluation scores exactly
        these labels, so `evaluate(seed=s)` measures the images `sample(seed=s)` returns."""
        return self._draw_labels(np.random.default_rng(check_seed(seed)), n)

    def _draw_labels(self, rng, n):
        return rng.integers(0, self.num_classes, n).astype(np.int32)

    def sample(self, n, *, labels=None, seed=None, batch_size=256, truncation=None):
        """n images as a uint8 array (n, H, W, C). The same seed (and labels, truncation)
        gives bit-identical images. Conditional models: `labels` are ints, class names or one
        value for all n; None draws classes uniformly (from the same seed).
        `truncation`: the truncation trick (see `truncation_space`): a threshold > 0 on
        |z_i| for z-space models, psi in [0, 1] for w-space ones; None (default) samples the
        training distribution.
        More than SAMPLE_LIMIT_BYTES of images is refused: use `iter_samples`."""
        self.check_sample_size(check_count(n, "n"))
        truncation = self.check_truncation(truncation)
        noise = self.latent_noise(n, seed, truncation)
        if self.conditional and labels is None:
            labels = self.drawn_labels(n, seed)
        return self.generate(noise, labels, batch_size=batch_size,
                             **self._w_truncation(truncation))

    def _w_truncation(self, truncation):
        return {"truncation": truncation} if self.truncation_space == "w" else {}

    def iter_samples(self, n, *, labels=None, seed=None, batch_size=256, truncation=None):
        """The images `sample(n, labels=..., seed=...)` returns, as uint8 batches of up to
        `batch_size`, drawn as they are needed: any n in constant memory (to write them to
        disk, say). The noise and label streams are read in order, so the batches
        concatenate to exactly `sample`'s array."""
        n, batch_size = check_count(n, "n"), check_count(batch_size, "batch_size")
        truncation = self.check_truncation(truncation)
        noise_rng = np.random.default_rng(check_seed(seed))
        label_rng = np.random.default_rng(check_seed(seed))
        per_sample = labels is not None and np.ndim(labels) > 0
        if per_sample:
            labels = self.parse_labels(labels, n)
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            z = self._draw_noise(noise_rng, count, truncation)
            if not self.conditional:
                chunk = labels
            elif per_sample:
                chunk = labels[start:start + count]
            elif labels is None:
                chunk = self._draw_labels(label_rng, count)
            else:
                chunk = labels  # one label for all: generate repeats it
            yield self.generate(z, chunk, batch_size=batch_size,
                                **self._w_truncation(truncation))

    def sample_by_class(self, per_class, *, seed=None, truncation=None):
        """A (num_classes * per_class) batch, one row per class with the same noise down each
        column: the style stays fixed while the class changes."""
        if not self.conditional:
            raise ValueError(f"{self.name} is unconditional: it has no classes to grid by.")
        truncation = self.check_truncation(truncation)
        noise = np.tile(self.latent_noise(per_class, seed, truncation), (self.num_classes, 1))
        labels = np.repeat(np.arange(self.num_classes), per_class)
        return self.generate(noise, labels, **self._w_truncation(truncation))

    def interpolate(self, num_points=8, seed=None, start=None, end=None, method="slerp",
                    label=None, truncation=None):
        """Images along a path between two latent points (drawn from `seed` unless given):
        `method` is "slerp" (spherical, default) or "lerp" (straight line); conditional
        models keep `label` fixed along the path. `truncation` as in `sample` (z-space: the
        drawn end points are truncated)."""
        truncation = self.check_truncation(truncation)
        num_points = check_count(num_points, "num_points")
        if method not in ("slerp", "lerp"):
            raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}.")
        if self.conditional and label is None:
            raise ValueError(f"{self.name} is conditional: give the label to interpolate in.")
        if start is None or end is None:
            drawn = self.latent_noise(2, seed, truncation)
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
        return self.generate(np.stack(path).astype(np.float32),
                             None if label is None else [label] * num_points,
                             **self._w_truncation(truncation))
