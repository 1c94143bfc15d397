"""How networks see class labels (shared by every conditional stack).

- Generators (CGAN and AC-GAN): a learned embedding of the label, joined to z (Mirza &
  Osindero 2014 join a one-hot label; an embedding is the same map with learned width).
- CGAN discriminators on images: the label's learned H x W plane, stacked as an extra channel,
  so the first convolution sees image and class together; on flat inputs: the embedding joined.
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
