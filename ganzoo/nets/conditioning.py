"""How networks see class labels (shared by every conditional stack).

- Generators (CGAN and AC-GAN): a learned embedding of the label, joined to z (Mirza &
  Osindero 2014 join a one-hot label; an embedding is the same map with learned width).
- CGAN discriminators on images: the label's learned H x W plane, stacked as an extra channel,
  so the first convolution sees image and class together; on flat inputs: the embedding joined.
- Projection discriminators (Miyato & Koyama 2018, Eq. 3): D(x, y) = psi(phi(x)) +
  <V e_y, phi(x)>, the class embedding V e_y projected onto D's features phi(x); V is a
  bias-free Dense on the one-hot label, so `"spectral_norm": true` normalises it too (the
  authors' SNEmbedID).
- AC-GAN discriminators (Odena et al. 2017): no label input; a second head of class logits.
"""
import keras
from keras import layers

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
