"""Train-step throughput: ganzoo's dcgan-anime vs a faithful copy of the keras-io example
"DCGAN to generate face images" (dcgan_overriding_train_step, fchollet 2019/2023), on the same
anime faces, in the same run.

    python bench/keras_io_dcgan.py --data ../shared/data/anime_faces_64.zip --steps 10

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


def main(_):
    import ganzoo
    from ganzoo.data import image_dataset

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
