"""How networks see class labels (shared by every conditional stack).

- Generators (CGAN and AC-GAN), `conditioning` "embedding": a learned embedding of the label,
  joined to z (Mirza & Osindero 2014 join a one-hot label; an embedding is the same map with
  learned width).
- Generators, `conditioning` "batchnorm": class-conditional batch norm (de Vries et al. 2017;
  the generator of Miyato & Koyama 2018, Section 4): every batch norm's scale and offset is
  looked up per class, so the label acts at every resolution, not only through z.
- CGAN discriminators on images: the label's learned H x W plane, stacked as an extra channel,
  so the first convolution sees image and class together; on flat inputs: the embedding joined.
- Projection discriminators (Miyato & Koyama 2018, Eq. 3): D(x, y) = psi(phi(x)) +
  <V e_y, phi(x)>, the class embedding V e_y projected onto D's features phi(x); V is a
  bias-free Dense on the one-hot label, so `"spectral_norm": true` normalises it too (the
  authors' SNEmbedID).
- AC-GAN discriminators (Odena et al. 2017): no label input; a second head of class logits.
"""
import keras
from keras import layers, ops

EMBEDDING_DIM = 50


def with_label_embedding(features, num_classes, first=None):
    """(inputs, features joined with the label embedding); unchanged without num_classes.
    `first` is the model's first input when `features` is derived from it."""
    first = features if first is None else first
    if not num_classes:
        return first, features
    labels = keras.Input((), dtype="int32", name="labels")
    embedding = layers.Embedding(num_classes, EMBEDDING_DIM, name="label_embedding")(labels)
    return [first, labels], layers.Concatenate()([features, embedding])


def label_map(images, num_classes):
    """(inputs, images with the label's learned plane as an extra channel)."""
    if not num_classes:
        return images, images
    height, width = images.shape[1], images.shape[2]
    labels = keras.Input((), dtype="int32", name="labels")
    plane = layers.Embedding(num_classes, height * width, name="label_plane")(labels)
    plane = layers.Reshape((height, width, 1))(plane)
    return [images, labels], layers.Concatenate()([images, plane])


def class_head(features, logits, aux_classes):
    """logits, or [logits, class logits] for an auxiliary classifier (AC-GAN)."""
    if not aux_classes:
        return logits
    class_logits = layers.Dense(aux_classes, dtype="float32", name="class_logits")(features)
    return [logits, class_logits]


GENERATOR_CONDITIONINGS = ("embedding", "batchnorm")


@keras.saving.register_keras_serializable("ganzoo")
class ClassConditionalBatchNorm(layers.Layer):
    """[features, labels] -> BN(features) * gamma[label] + beta[label]: batch norm without its
    own scale and offset, then a per-class scale (starting at 1) and offset (starting at 0)
    on the last axis (de Vries et al. 2017, "Modulating early visual processing by language",
    Eq. 2; used in the generators of Miyato & Koyama 2018 and BigGAN)."""

    def __init__(self, num_classes, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.momentum, self.epsilon = momentum, epsilon
        self.norm = layers.BatchNormalization(center=False, scale=False, momentum=momentum,
                                              epsilon=epsilon, dtype=self.dtype_policy,
                                              name="norm")

    def build(self, input_shape):
        features_shape, _ = input_shape
        channels = features_shape[-1]
        self.norm.build(features_shape)
        self.gamma = self.add_weight(shape=(self.num_classes, channels), initializer="ones",
                                     name="gamma")
        self.beta = self.add_weight(shape=(self.num_classes, channels), initializer="zeros",
                                    name="beta")

    def call(self, inputs, training=None):
        features, labels = inputs
        normalized = self.norm(features, training=training)
        # (batch, channels) -> (batch, 1, ..., 1, channels), broadcasting over the spatial axes.
        shape = (-1,) + (1,) * (len(features.shape) - 2) + (features.shape[-1],)
        labels = ops.cast(labels, "int32")
        gamma = ops.reshape(ops.take(self.gamma, labels, axis=0), shape)
        beta = ops.reshape(ops.take(self.beta, labels, axis=0), shape)
        return normalized * ops.cast(gamma, normalized.dtype) + ops.cast(beta, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "momentum": self.momentum, "epsilon": self.epsilon}


def generator_inputs(latent_dim, num_classes, conditioning):
    """(inputs, first features, labels or None) for a conditional or unconditional
    generator: "embedding" joins the label embedding to z and returns no labels for the
    later layers; "batchnorm" passes z alone and returns the labels for
    `ClassConditionalBatchNorm`."""
    if conditioning not in GENERATOR_CONDITIONINGS:
        raise ValueError(f"generator conditioning must be one of "
                         f"{', '.join(GENERATOR_CONDITIONINGS)}, got {conditioning!r}.")
    z = keras.Input((latent_dim,), name="z")
    if not num_classes or conditioning == "embedding":
        inputs, features = with_label_embedding(z, num_classes)
        return inputs, features, None
    labels = keras.Input((), dtype="int32", name="labels")
    return [z, labels], z, labels


def batch_norm(features, labels, num_classes):
    """Batch norm, class-conditional when `labels` is given."""
    if labels is None:
        return layers.BatchNormalization()(features)
    return ClassConditionalBatchNorm(num_classes)([features, labels])


CONDITIONINGS = ("plane", "projection")


def projection_inputs(images, num_classes):
    """(inputs, one-hot labels or None) for a projection discriminator."""
    if not num_classes:
        return images, None
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)
    return [images, labels], one_hot


def projection(features, logits, one_hot):
    """logits + <V e_y, phi(x)> (Miyato & Koyama 2018, Eq. 3); logits without labels."""
    if one_hot is None:
        return logits
    class_embedding = layers.Dense(features.shape[-1], use_bias=False,
                                   kernel_initializer="glorot_uniform",
                                   name="class_embedding")(one_hot)
    inner = layers.Dot(axes=-1, dtype="float32", name="projection")([class_embedding, features])
    return layers.Add(dtype="float32", name="projected_logits")([logits, inner])
