"""Train-step throughput: ganzoo's dcgan-anime vs a faithful copy of the keras-io example
"DCGAN to generate face images" (dcgan_overriding_train_step, fchollet 2019/2023), on the same
anime faces, in the same run.

    python bench/keras_io_dcgan.py --data ../shared/data/anime_faces_64.zip --steps 10
    python bench/keras_io_dcgan.py --fid_budget_s 1200 --fid_num 1000

The second form measures CPU time to the same FID: the keras-io copy trains for
--fid_budget_s seconds of process CPU time and its FID is measured (--fid_num samples vs the
shipped 2,000-image anime-faces reference, the same for both models, so the small-n bias is
the same); then ganzoo's dcgan-anime trains from scratch, its FID measured every
--fid_eval_every steps, until it reaches the keras-io FID. Prints both CPU times and the
ratio (evaluation time is not counted as training time).

The copy keeps the example's networks (latent 128; D conv 64-128-128 with dropout, sigmoid
output; G dense 8x8x128, transposed convs 128-256-512, a 5x5 sigmoid conv), its optimizers
(Adam 1e-4 both), loss (BCE on probabilities), label noise and batch size (32), and its
`train_step` (real and fake concatenated in one D batch). Both models read the same tf.data
pipeline of 64x64 faces. Prints images/s for each and the ratio.
"""
import time

import keras
import tensorflow as tf
from absl import app, flags
from keras import layers, ops

flags.DEFINE_string("data", "../shared/data/anime_faces_64.zip", "anime faces (zip/folder)")
flags.DEFINE_integer("steps", 10, "timed steps per model (after 2 warm-up steps)")
flags.DEFINE_float("fid_budget_s", None, "CPU seconds of keras-io training for the "
                   "time-to-same-FID comparison (off by default)")
flags.DEFINE_integer("fid_num", 1000, "generated images per FID")
flags.DEFINE_integer("fid_eval_every", 100, "ganzoo steps between its FID measurements")
FLAGS = flags.FLAGS

LATENT_DIM = 128


def keras_io_discriminator():
    return keras.Sequential([
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(64, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")


def keras_io_generator():
    return keras.Sequential([
        keras.Input(shape=(LATENT_DIM,)),
        layers.Dense(8 * 8 * 128),
        layers.Reshape((8, 8, 128)),
        layers.Conv2DTranspose(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(256, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(512, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid"),
    ], name="generator")


class KerasIoGAN(keras.Model):
    """The example's GAN class, as published (comments shortened)."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        generated_images = self.generator(random_latent_vectors)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))],
                                 axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def images_per_second(model, dataset, batch_size):
    model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=FLAGS.steps, epochs=1, verbose=0)
    seconds = (time.perf_counter() - start) / FLAGS.steps
    return seconds, batch_size / seconds


def fid_against_reference(generate_uint8, num, batch_size=50):
    """FID of `num` images from generate_uint8(n, offset) against the shipped anime-faces
    reference statistics (2,000 real faces)."""
    from ganzoo.metrics.fid import FeatureStatistics, frechet_distance
    from ganzoo.metrics.inception import FEATURE_DIM, feature_extractor
    from ganzoo.metrics.reference import load_reference

    mu, sigma, _, _ = load_reference("anime-faces")
    extract, stats = feature_extractor(), FeatureStatistics(FEATURE_DIM)
    for start in range(0, num, batch_size):
        stats.update(extract(generate_uint8(min(batch_size, num - start), start)).numpy())
    return frechet_distance(mu, sigma, stats.mean, stats.covariance)


class CpuBudget(keras.callbacks.Callback):
    """Stops `fit` once the process has spent `seconds` of CPU time training (time spent in
    `measure`, e.g. FID evaluation, is not counted)."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.excluded, self.steps = seconds, 0.0, 0

    def on_train_begin(self, logs=None):
        self.start = time.process_time()

    def cpu_seconds(self):
        return time.process_time() - self.start - self.excluded

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.cpu_seconds() >= self.seconds:
            self.model.stop_training = True

    def measure(self, function):
        start = time.process_time()
        try:
            return function()
        finally:
            self.excluded += time.process_time() - start


class FidCheckpoints(CpuBudget):
    """Every epoch: the FID of the model's samples; stops at `target` or at the CPU budget."""

    def __init__(self, seconds, target):
        super().__init__(seconds)
        self.target, self.curve, self.reached = target, [], None

    def on_epoch_end(self, epoch, logs=None):
        fid = self.measure(lambda: fid_against_reference(
            lambda n, i: self.model.sample(n, seed=i + 1), FLAGS.fid_num))
        self.curve.append((self.steps, round(self.cpu_seconds()), round(fid, 1)))
        print(f"ganzoo dcgan-anime: {self.steps} steps (batch 64), "
              f"{self.cpu_seconds():.0f} CPU s -> FID {fid:.1f}", flush=True)
        if fid <= self.target:
            self.reached = self.cpu_seconds()
            self.model.stop_training = True


def time_to_same_fid(data_path):
    import numpy as np

    import ganzoo
    from ganzoo.data import image_dataset

    theirs = KerasIoGAN(keras_io_discriminator(), keras_io_generator(), LATENT_DIM)
    theirs.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4),
                   keras.losses.BinaryCrossentropy())
    data = image_dataset(data_path, (64, 64, 3), 32, repeat=True, seed=0).map(
        lambda x: (x + 1.0) / 2.0)
    budget = CpuBudget(FLAGS.fid_budget_s)
    theirs.fit(data, steps_per_epoch=10**7, epochs=1, callbacks=[budget], verbose=0)
    their_cpu = budget.cpu_seconds()
    noise = np.random.default_rng(0).standard_normal((FLAGS.fid_num, LATENT_DIM))
    their_fid = fid_against_reference(
        lambda n, i: np.clip(np.round(theirs.generator.predict(
            noise[i:i + n].astype("float32"), verbose=0) * 255), 0, 255).astype(np.uint8),
        FLAGS.fid_num)
    print(f"keras-io: {budget.steps} steps (batch 32), {their_cpu:.0f} CPU s -> "
          f"FID {their_fid:.1f} ({FLAGS.fid_num} generated vs the 2,000-face reference)",
          flush=True)

    ours = ganzoo.build("dcgan-anime", seed=0)
    data = image_dataset(data_path, (64, 64, 3), 64, repeat=True, seed=0)
    checkpoints = FidCheckpoints(10 * their_cpu, their_fid)
    ours.fit(data, steps_per_epoch=FLAGS.fid_eval_every, epochs=10**6,
             callbacks=[checkpoints], verbose=0)
    if checkpoints.reached is None:
        print(f"ganzoo did not reach FID {their_fid:.1f} within 10x keras-io's CPU time: "
              f"{checkpoints.curve}")
    else:
        print(f"CPU time to keras-io's FID {their_fid:.1f}: ganzoo {checkpoints.reached:.0f} s, "
              f"keras-io {their_cpu:.0f} s -> ganzoo needs {their_cpu / checkpoints.reached:.1f}x "
              f"less CPU time")


def main(_):
    import ganzoo
    from ganzoo.data import image_dataset

    if FLAGS.fid_budget_s:
        return time_to_same_fid(FLAGS.data)

    results = {}
    ours = ganzoo.build("dcgan-anime", seed=0)
    data = image_dataset(FLAGS.data, (64, 64, 3), 64, repeat=True, seed=0)
    results["ganzoo dcgan-anime (batch 64)"] = images_per_second(ours, data, 64)

    theirs = KerasIoGAN(keras_io_discriminator(), keras_io_generator(), LATENT_DIM)
    theirs.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4),
                   keras.losses.BinaryCrossentropy())
    # The example feeds [0, 1] images (image_dataset_from_directory / 255).
    data = image_dataset(FLAGS.data, (64, 64, 3), 32, repeat=True, seed=0).map(
        lambda x: (x + 1.0) / 2.0)
    results["keras-io DCGAN example (batch 32)"] = images_per_second(theirs, data, 32)

    for name, (seconds, rate) in results.items():
        print(f"{name}: {seconds:.3f} s/step, {rate:.1f} images/s")
    (_, ours_rate), (_, theirs_rate) = results.values()
    print(f"ganzoo / keras-io images per second: {ours_rate / theirs_rate:.1f}x")


if __name__ == "__main__":
    app.run(main)
