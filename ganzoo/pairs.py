"""tf.data pipelines for the image-to-image models: batches of (A images, B images) in [-1, 1].

- `edges_dataset`: pix2pix "edges2anime", each face paired with its line drawing computed by
  `xdog_edges` (deterministic, in TensorFlow), from any face source `image_dataset` reads;
- `side_by_side_dataset`: a folder/zip of pairs stored side by side, A on the left and B on the
  right (the layout of pix2pix's facades/maps/edges2shoes downloads);
- `unpaired_dataset`: two domains drawn independently (CycleGAN): from one folder/zip split by
  a CSV column (anime faces by hair colour), or `tfds:cycle_gan/horse2zebra` (splits trainA,
  trainB, testA, testB).
`translation_dataset(config, source, ...)` picks the pipeline an entry's config names.
"""
import os

import numpy as np
import tensorflow as tf

from ganzoo.data import (DataError, _fit_image, _keep_decodable, _parse_split, _read_encoded,
                         _warn_skipped, image_dataset, to_model_range)
from ganzoo.images import to_uint8

# Winnemoeller et al. 2012 ("XDoG"), tuned by eye on the 64x64 anime faces: clean dark lines
# on white for eyes, hair strands and face outline, without filling flat shading.
XDOG = {"sigma": 0.7, "k": 1.6, "tau": 0.98, "epsilon": -0.01, "phi": 200.0}


def _gaussian_blur(luminance, sigma):
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel = (kernel / kernel.sum()).astype(np.float32)
    padded = tf.pad(luminance, [[0, 0], [radius, radius], [radius, radius], [0, 0]],
                    mode="REFLECT")
    rows = tf.nn.conv2d(padded, kernel.reshape(-1, 1, 1, 1), 1, "VALID")
    return tf.nn.conv2d(rows, kernel.reshape(1, -1, 1, 1), 1, "VALID")


def xdog_edges(images, sigma=XDOG["sigma"], k=XDOG["k"], tau=XDOG["tau"],
               epsilon=XDOG["epsilon"], phi=XDOG["phi"]):
    """Line drawings of RGB images (batch, H, W, 3) in [-1, 1] -> (batch, H, W, 1) in [-1, 1]
    (white paper, dark lines): the extended difference of Gaussians
    D = G_sigma(L) - tau * G_{k sigma}(L) on the luminance L in [0, 1], soft-thresholded:
    1 where D >= epsilon, else 1 + tanh(phi * (D - epsilon))."""
    images = tf.convert_to_tensor(images, tf.float32)
    luminance = tf.image.rgb_to_grayscale((images + 1.0) / 2.0)
    difference = (_gaussian_blur(luminance, sigma)
                  - tau * _gaussian_blur(luminance, k * sigma))
    edges = tf.where(difference >= epsilon, 1.0, 1.0 + tf.tanh(phi * (difference - epsilon)))
    return tf.clip_by_value(edges, 0.0, 1.0) * 2.0 - 1.0


def edges_dataset(source, image_shape, batch_size, **kwargs):
    """(edge map, face) batches: faces from `source` (anything `image_dataset` reads)."""
    faces = image_dataset(source, image_shape, batch_size, with_labels=False, **kwargs)
    return faces.map(lambda batch: (xdog_edges(batch), batch), tf.data.AUTOTUNE)


def side_by_side_dataset(source, shape_a, shape_b, batch_size, *, split="train", shuffle=True,
                         repeat=False, seed=None):
    """Pairs stored as one image [A | B] per file (width = 2 x height), in a folder or zip.
    A file of another shape is an error naming it: a silently mis-cut pair would train the
    model on misaligned images."""
    from io import BytesIO

    from PIL import Image

    split_name, rows = _parse_split(split)
    if split_name != "train":
        raise DataError(f"A pairs folder has one split, 'train' (sliceable); got {split!r}.")
    if not os.path.exists(source):
        raise DataError(f"Pairs path {source!r} does not exist.")
    encoded, names, skipped = _read_encoded(source, rows=rows)
    total = len(encoded) + len(skipped)
    encoded, names = _keep_decodable(encoded, names, (min(shape_a[0], shape_b[0]),) * 2 + (3,),
                                     skipped)
    _warn_skipped(skipped, source, total)
    if not encoded:
        raise DataError(f"No images in {source!r}: a pairs folder holds side-by-side [A | B] "
                        f"images (.jpg, .png, ...).")
    for blob, name in zip(encoded, names):
        width, height = Image.open(BytesIO(blob)).size
        if width != 2 * height:
            raise DataError(f"{name} is {width}x{height}; a side-by-side pair must be twice as "
                            f"wide as high ([A | B], two square halves).")
    if len(encoded) < batch_size:
        raise DataError(f"{source} holds {len(encoded)} pairs, fewer than one batch of "
                        f"{batch_size}.")

    def split_pair(blob):
        image = tf.io.decode_image(blob, channels=3, expand_animations=False)
        half = tf.shape(image)[1] // 2
        halves = []
        for part, shape in ((image[:, :half], shape_a), (image[:, half:], shape_b)):
            if shape[-1] == 1:
                part = tf.image.rgb_to_grayscale(part)
            halves.append(_fit_image(part, tuple(shape)))
        return tuple(halves)

    dataset = tf.data.Dataset.from_tensor_slices(encoded).map(split_pair, tf.data.AUTOTUNE)
    dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(min(len(encoded), 20_000), seed=seed)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=True)
    return dataset.map(lambda a, b: (to_model_range(a), to_model_range(b)),
                       tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def unpaired_dataset(source, shape_a, shape_b, batch_size, *, domains=None, labels=None,
                     split="train", seed=None, zip_domains=True, **kwargs):
    """(A batch, B batch) from two independently shuffled domains. Folder/zip sources are
    split by a CSV column: `labels="tags.csv:hair"`, `domains=("blonde", "black")`;
    `tfds:cycle_gan/NAME` uses its splits `<split>A` and `<split>B` (e.g. trainA, trainB).
    `zip_domains=False` returns the two domains' datasets separately instead (evaluation
    wants all of each, and zipping stops at the shorter one)."""
    source = os.fspath(source)
    if source.startswith("tfds:"):
        name, _ = _parse_split(split)
        parts = [image_dataset(source, shape, batch_size, with_labels=False,
                               split=split.replace(name, name + suffix, 1), seed=seed, **kwargs)
                 for shape, suffix in ((shape_a, "A"), (shape_b, "B"))]
    else:
        if not labels or not domains or len(domains) != 2:
            raise DataError("Unpaired folder/zip data needs labels='tags.csv:column' and two "
                            "domains, e.g. domains=('blonde', 'black').")
        parts = [image_dataset(source, shape, batch_size, with_labels=False, labels=labels,
                               classes=[domain], split=split,
                               seed=None if seed is None else seed + offset, **kwargs)
                 for shape, domain, offset in ((shape_a, domains[0], 0),
                                               (shape_b, domains[1], 1))]
    return tf.data.Dataset.zip(parts[0], parts[1]) if zip_domains else tuple(parts)


def translation_dataset(config, source, batch_size, *, split=None, seed=None, repeat=True,
                        shuffle=True, data_dir=None, labels=None, kind=None, cache="auto",
                        zip_domains=True):
    """The (A, B) pipeline a zoo entry's config names in data.pairs (or `kind`): "edges"
    (pix2pix edges2anime), "side_by_side" or "unpaired" (`zip_domains=False`: a tuple of
    the two domains' datasets)."""
    data = config.get("data", {})
    kind = kind or data.get("pairs")
    shape_a, shape_b = tuple(config["source_shape"]), tuple(config["image_shape"])
    split = split or data.get("split", "train")
    common = dict(shuffle=shuffle, repeat=repeat, seed=seed)
    cached = dict(cache=cache, data_dir=data_dir)
    if source.startswith("tfds:cycle_gan") or kind == "unpaired":
        label_spec = labels or (data.get("labels") and os.path.join(
            os.path.dirname(os.path.abspath(source)), data["labels"]))
        return unpaired_dataset(source, shape_a, shape_b, batch_size,
                                domains=data.get("domains"), labels=label_spec, split=split,
                                zip_domains=zip_domains, **cached, **common)
    if kind == "edges":
        return edges_dataset(source, shape_b, batch_size, split=split, **cached, **common)
    if kind == "side_by_side" or os.path.isdir(source):
        return side_by_side_dataset(source, shape_a, shape_b, batch_size, split=split,
                                    **common)
    raise DataError(f"Entry {config.get('name')!r} names no known pairs pipeline "
                    f"(data.pairs = {kind!r}; known: edges, side_by_side, unpaired).")


def first_images(dataset, count):
    """The first `count` (A, B) images of a pairs dataset as uint8 arrays (previews)."""
    a, b = next(iter(dataset.unbatch().batch(count)))
    return to_uint8(a).numpy(), to_uint8(b).numpy()
