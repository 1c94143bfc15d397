"""CycleGAN (Zhu et al. 2017): two generators G: A -> B and F: B -> A (ResNet), two PatchGAN
discriminators D_B and D_A, trained on unpaired images with
  least-squares adversarial losses (Section 4, "Training details"),
  cycle consistency lambda * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1), lambda = 10 (Eq. 2-3),
  identity 0.5 * lambda * (|G(b) - b|_1 + |F(a) - a|_1) (Section 5.2, from Taigman et al.),
and the discriminators see a history of 50 generated images (Shrivastava et al. 2017).
`fit` data: (images of A, images of B) batches in [-1, 1], drawn independently."""
import keras
import tensorflow as tf

from ganzoo.plugins import register_variant
from ganzoo import losses, schedules  # noqa: F401 (registers CycleGAN's LR schedule)
from ganzoo.nets import build_image_network
from ganzoo.translation import ImageTranslator


@keras.saving.register_keras_serializable("ganzoo")
class ImagePool(keras.layers.Layer):
    """The history buffer of Shrivastava et al. 2017 as used by CycleGAN: until the pool is
    full each generated image is stored and used; afterwards, with probability 1/2 an image
    is swapped for a random stored one (D sees an older fake), else used as is. The buffer is
    a pair of variables, so checkpoints keep it; under tf.distribute each replica keeps its
    own (on-read synchronised) buffer."""

    def __init__(self, size, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.size, self.image_shape = int(size), tuple(int(d) for d in image_shape)
        sync = dict(synchronization="on_read", aggregation="only_first_replica")
        self.images = keras.Variable(tf.zeros((max(self.size, 1), *self.image_shape)),
                                     trainable=False, name="images", **sync)
        self.count = keras.Variable(0, dtype="int32", trainable=False, name="count", **sync)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "image_shape": self.image_shape}

    def query(self, images, swap, slots):
        """Images for D: `swap` (bool per image) and `slots` (int per image, in [0, size))
        are the random draws, made by the caller so that each replica gets its own."""
        if self.size == 0:
            return images
        batch = tf.shape(images)[0]

        def one(i, outputs):
            image = images[i]
            count = self.count.value

            def store():
                self.images.assign(tf.tensor_scatter_nd_update(self.images.value,
                                                               [[count]], image[None]))
                self.count.assign_add(1)
                return image

            def exchange():
                old = self.images.value[slots[i]]
                self.images.assign(tf.tensor_scatter_nd_update(self.images.value,
                                                               [[slots[i]]], image[None]))
                return old

            chosen = tf.cond(count < self.size, store,
                             lambda: tf.cond(swap[i], exchange, lambda: image))
            return i + 1, outputs.write(i, chosen)

        _, outputs = tf.while_loop(
            lambda i, _: i < batch, one,
            (0, tf.TensorArray(images.dtype, size=batch, element_shape=images.shape[1:])))
        return tf.ensure_shape(outputs.stack(), images.shape)


@register_variant("cyclegan")
@keras.saving.register_keras_serializable("ganzoo")
class CycleGAN(ImageTranslator):
    loss_names = ("d_loss", "g_loss", "g_gan", "cycle", "identity")

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b,
                 cycle_weight=10.0, identity_weight=0.5, pool_size=50, **kwargs):
        networks = [keras.saving.deserialize_keras_object(n) if isinstance(n, dict) else n
                    for n in (generator_ab, generator_ba, discriminator_a, discriminator_b)]
        for name, value in (("cycle_weight", cycle_weight),
                            ("identity_weight", identity_weight), ("pool_size", pool_size)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}.")
        super().__init__(**kwargs)
        (self.generator_ab, self.generator_ba,
         self.discriminator_a, self.discriminator_b) = networks
        self.translators = {"a2b": self.generator_ab, "b2a": self.generator_ba}
        shape_a, shape_b = self.shapes("a2b")
        if self.shapes("b2a") != (shape_b, shape_a):
            raise ValueError(f"generator_ba must map {shape_b} back to {shape_a}; it maps "
                             f"{self.shapes('b2a')[0]} to {self.shapes('b2a')[1]}.")
        if identity_weight > 0 and shape_a != shape_b:
            raise ValueError(f"The identity loss compares G(b) with b, so it needs domains of "
                             f"equal shape (got {shape_a} and {shape_b}); set "
                             f"identity_weight=0.")
        # identity_weight is relative to cycle_weight: 0.5 * lambda (Zhu et al., Section 5.2).
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.pool_size = int(pool_size)
        self.pool_a = ImagePool(self.pool_size, shape_a, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, shape_b, name="pool_b")
        self.build()

    def get_config(self):
        config = super().get_config()
        for name in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"):
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return {**config, "cycle_weight": self.cycle_weight,
                "identity_weight": self.identity_weight, "pool_size": self.pool_size}

    @classmethod
    def from_zoo_config(cls, config, seed=None):
        """Networks from a zoo config: domain A images `source_shape`, B `image_shape`."""
        shape_a, shape_b = tuple(config["source_shape"]), tuple(config["image_shape"])
        networks = [
            build_image_network("generator", config["generator"], source_shape=shape_a,
                                target_shape=shape_b, name="generator_ab"),
            build_image_network("generator", config["generator"], source_shape=shape_b,
                                target_shape=shape_a, name="generator_ba"),
            build_image_network("discriminator", config["discriminator"], image_shape=shape_a,
                                name="discriminator_a"),
            build_image_network("discriminator", config["discriminator"], image_shape=shape_b,
                                name="discriminator_b"),
        ]
        return cls(*networks, **cls.zoo_options(config, seed))

    @property
    def discriminator_networks(self):
        return [self.discriminator_a, self.discriminator_b]

    def pool_draws(self, images):
        """Per image: swap with a stored image (probability 1/2)? and which slot."""
        batch = tf.shape(images)[0]
        swap = self.draw_per_example(
            lambda n: keras.random.uniform((n,), seed=self.seed_generator) > 0.5, batch)
        slots = self.draw_per_example(
            lambda n: keras.random.randint((n,), 0, max(self.pool_size, 1), dtype="int32",
                                           seed=self.seed_generator), batch)
        return swap, slots

    def train_step(self, data):
        real_a, real_b = self.unpack_pair(data)
        g_ab, g_ba = self.generator_ab, self.generator_ba
        with tf.GradientTape() as g_tape:
            fake_b, fake_a = g_ab(real_a, training=True), g_ba(real_b, training=True)
            cycle = (losses.mean_absolute_error(g_ba(fake_b, training=True), real_a)
                     + losses.mean_absolute_error(g_ab(fake_a, training=True), real_b))
            identity = tf.constant(0.0)
            if self.identity_weight > 0:  # only meaningful when A and B have equal shapes
                identity = (losses.mean_absolute_error(g_ab(real_b, training=True), real_b)
                            + losses.mean_absolute_error(g_ba(real_a, training=True), real_a))
            g_gan = (losses.cyclegan_generator(self.discriminator_b(fake_b, training=True))
                     + losses.cyclegan_generator(self.discriminator_a(fake_a, training=True)))
            g_loss = (g_gan + self.cycle_weight * cycle
                      + self.identity_weight * self.cycle_weight * identity)
        self.descend(g_tape, g_loss, self.generator_networks, self.g_optimizer)

        # The discriminators: real images vs generated ones from the history pools.
        pooled_b = self.pool_b.query(tf.stop_gradient(fake_b), *self.pool_draws(fake_b))
        pooled_a = self.pool_a.query(tf.stop_gradient(fake_a), *self.pool_draws(fake_a))
        with tf.GradientTape() as d_tape:
            d_loss = (losses.cyclegan_discriminator(self.discriminator_b(real_b, training=True),
                                                    self.discriminator_b(pooled_b,
                                                                         training=True))
                      + losses.cyclegan_discriminator(self.discriminator_a(real_a, training=True),
                                                      self.discriminator_a(pooled_a,
                                                                           training=True)))
        self.descend(d_tape, d_loss, self.discriminator_networks, self.d_optimizer)
        return self.report(d_loss=d_loss, g_loss=g_loss, g_gan=g_gan, cycle=cycle,
                           identity=identity)
