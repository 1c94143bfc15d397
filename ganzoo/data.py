"""tf.data pipelines that feed `model.fit` directly.

`image_dataset(source, image_shape, batch_size)` accepts
- a folder of images (searched recursively; .jpg .jpeg .png .webp .bmp .gif),
- a .zip of such images,
- an .npz holding an image array (keys `x_train`/`x`/`images`, labels `y_train`/`y`/`labels`;
  `split="test"` reads `x_test`/`y_test`, and "train[:50000]" slices, as in tensorflow-datasets),
- a tensorflow-datasets name written `tfds:NAME` (e.g. `tfds:mnist`), read from `data_dir`.

Every image is center-cropped to a square, resized to the model's size, converted to its channel
count and scaled to [-1, 1]. The pipeline caches decoded uint8 images in memory when they fit,
shuffles, batches with `drop_remainder=True` and prefetches. Labels are carried when present:
elements are then `(images, labels)`.
"""
import logging
import os
import re
import zipfile

import numpy as np
import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
CACHE_LIMIT_BYTES = 4 << 30  # decoded uint8 images above this stream from disk instead
_NPZ_IMAGE_KEYS = ("x_train", "x", "images", "image")
_NPZ_LABEL_KEYS = ("y_train", "y", "labels", "label")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")  # plus RIFF....WEBP, checked below

log = logging.getLogger("ganzoo")


class DataError(ValueError):
    """The data given cannot be read as images of the shape the model needs."""


def _looks_like_image(head):
    return head.startswith(_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _warn_skipped(skipped, source, total):
    """One warning naming every file left out and why ({name: reason})."""
    if skipped:
        shown = ", ".join(f"{name} ({reason})" for name, reason in list(skipped.items())[:10])
        log.warning("Skipped %d of %d file(s) in %s: %s%s", len(skipped), total, source, shown,
                    " ..." if len(skipped) > 10 else "")


def min_side(image_shape):
    """Images whose shorter side is below this are left out rather than blown up from a
    few pixels: a quarter of the model's side (16 px for 64x64), at least 2."""
    return max(2, int(image_shape[0]) // 4)


def _decoded_sizes(encoded, channels):
    """{index: (height, width)} of the blobs tf.io.decode_image reads whole: the decoder
    the pipeline uses, so what passes here decodes there (a file can carry a valid header
    and a truncated body)."""
    if not encoded:
        return {}
    indices = tf.data.Dataset.range(len(encoded))
    blobs = tf.data.Dataset.from_tensor_slices(encoded)
    sizes = tf.data.Dataset.zip(indices, blobs).map(
        lambda i, blob: (i, tf.shape(tf.io.decode_image(blob, channels=channels,
                                                        expand_animations=False))[:2]),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).ignore_errors()
    return {int(i): (int(h), int(w)) for i, (h, w) in sizes.as_numpy_iterator()}


def _keep_decodable(encoded, names, image_shape, skipped):
    """The (encoded, names) that decode, at least `min_side` pixels on their shorter side;
    the others go into `skipped` with the reason."""
    sizes = _decoded_sizes(encoded, image_shape[-1])
    smallest, kept_encoded, kept_names, upscaled = min_side(image_shape), [], [], 0
    for index, (blob, name) in enumerate(zip(encoded, names)):
        if index not in sizes:
            skipped[name] = "not decodable: truncated or damaged"
        elif min(sizes[index]) < smallest:
            skipped[name] = "too small: {}x{}, under {} px".format(*sizes[index], smallest)
        else:
            kept_encoded.append(blob)
            kept_names.append(name)
            upscaled += min(sizes[index]) < image_shape[0]
    if upscaled:
        log.warning("%d image(s) are smaller than %dx%d and are upscaled.", upscaled,
                    image_shape[0], image_shape[1])
    return kept_encoded, kept_names


def _folder_files(folder):
    files = []
    for root, _, names in os.walk(folder):
        files.extend(os.path.join(root, n) for n in names if n.lower().endswith(IMAGE_EXTENSIONS))
    return sorted(files)


def _read_encoded(source, keep=None, rows=None):
    """(encoded image bytes, their file names, {skipped name: reason}) for a folder or zip,
    in name order; `keep(basename)` filters files and `rows` slices the kept list (a split).
    Files are matched to labels by name from here on, whatever is dropped later."""
    encoded, names, skipped = [], [], {}
    if os.path.isdir(source):
        paths = [p for p in _folder_files(source) if keep is None or keep(os.path.basename(p))]
        for path in paths[rows(len(paths)) if rows else slice(None)]:
            with open(path, "rb") as f:
                blob = f.read()
            if _looks_like_image(blob[:12]):
                encoded.append(blob)
                names.append(path)
            else:
                skipped[path] = "empty file" if not blob else "not an image file"
    else:
        try:
            archive = zipfile.ZipFile(source)
        except zipfile.BadZipFile as error:
            raise DataError(f"{source} is not a readable zip file ({error}).") from None
        with archive:
            members = [n for n in sorted(archive.namelist())
                       if n.lower().endswith(IMAGE_EXTENSIONS) and not n.endswith("/")
                       and (keep is None or keep(os.path.basename(n)))]
            for name in members[rows(len(members)) if rows else slice(None)]:
                blob = archive.read(name)
                if _looks_like_image(blob[:12]):
                    encoded.append(blob)
                    names.append(name)
                else:
                    skipped[name] = "empty file" if not blob else "not an image file"
    return encoded, names, skipped


def read_label_table(spec, classes=None):
    """Labels for image files from a CSV: `spec` is "tags.csv:column" (a header row naming a
    `file` column and `column`). Returns ({file basename: class index}, class names).
    `classes` keeps only those values, in that order; by default every value, most common
    first."""
    import csv
    from collections import Counter

    path, _, column = os.fspath(spec).rpartition(":")
    if not path or not column:
        raise DataError(f"labels must look like 'tags.csv:column', got {spec!r}.")
    if not os.path.isfile(path):
        raise DataError(f"Label file {path!r} does not exist.")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        if "file" not in header or column not in header:
            raise DataError(f"{path} must have columns 'file' and {column!r}; its header is "
                            f"{header}.")
        rows = [(os.path.basename(r["file"]), r[column].strip()) for r in reader]
    counts = Counter(value for _, value in rows)
    classes = list(classes) if classes else [v for v, _ in counts.most_common()]
    unknown = [c for c in classes if c not in counts]
    if unknown:
        raise DataError(f"{path} has no rows with {column} = {unknown}; its values are "
                        f"{sorted(counts)}.")
    index = {name: i for i, name in enumerate(classes)}
    return {f: index[v] for f, v in rows if v in index}, classes


def _fit_image(image, image_shape):
    """uint8 (h, w, c) -> uint8 image_shape: center square crop, then resize."""
    height, width = image_shape[0], image_shape[1]
    shape = tf.shape(image)
    side = tf.minimum(shape[0], shape[1])
    image = tf.image.crop_to_bounding_box(
        image, (shape[0] - side) // 2, (shape[1] - side) // 2, side, side
    )

    def resize(method):
        resized = tf.image.resize(image, (height, width), method=method)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

    # Area averaging when shrinking (no aliasing), bilinear when enlarging, untouched if equal.
    image = tf.case([(tf.equal(side, height), lambda: image),
                     (tf.greater(side, height), lambda: resize("area"))],
                    default=lambda: resize("bilinear"))
    return tf.ensure_shape(image, image_shape)


def _match_channels(image, channels):
    have = image.shape[-1]
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image[..., :3])
    if have == 1:
        return tf.image.grayscale_to_rgb(image)
    return image[..., :channels]  # RGBA -> RGB


def to_model_range(images):
    """uint8 [0, 255] -> float32 [-1, 1], the range of the generators' tanh output."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _parse_split(split):
    """"train", "test[:1000]", "train[50000:]" -> (name, slice), as tensorflow-datasets."""
    match = re.fullmatch(r"(\w+)(?:\[(-?\d*%?):(-?\d*%?)\])?", split or "train")
    if not match:
        raise DataError(f"split must look like 'train', 'test', 'train[:50000]' or "
                        f"'train[90%:]', got {split!r}.")
    name, start, stop = match.groups()
    return name, _Slice(start, stop)


class _Slice:
    """A split's row range, in rows or percent of the split ("train[:90%]")."""

    def __init__(self, start, stop):
        self.start, self.stop = start or None, stop or None

    def __call__(self, count):
        def bound(value):
            if value is None:
                return None
            if value.endswith("%"):
                return round(int(value[:-1]) * count / 100)
            return int(value)

        return slice(bound(self.start), bound(self.stop))


def npz_arrays(path, split="train"):
    """(uint8 images (n, H, W, C), int32 labels or None) of an .npz split."""
    name, rows = _parse_split(split)
    with np.load(path) as archive:
        keys = _NPZ_IMAGE_KEYS if name == "train" else (f"x_{name}",)
        image_key = next((k for k in keys if k in archive.files), None)
        if image_key is None:
            raise DataError(
                f"{path} has no image array; expected one of the keys {_NPZ_IMAGE_KEYS}, "
                f"found {archive.files}."
            )
        images = archive[image_key]
        images = images[rows(len(images))]
        label_keys = _NPZ_LABEL_KEYS if name == "train" else (f"y_{name}",)
        label_key = next((k for k in label_keys if k in archive.files), None)
        labels = archive[label_key][rows(len(archive[label_key]))] if label_key else None
    if images.dtype.kind not in "biuf":
        raise DataError(f"{path}[{image_key!r}] must hold numbers (uint8 pixels, or floats in "
                        f"[0, 1] or [0, 255]); it holds {images.dtype} values.")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise DataError(f"{path}[{image_key!r}] must be (n, H, W[, C]) with n > 0, "
                        f"got shape {images.shape}.")
    if images.dtype != np.uint8:
        if images.min() < 0 or images.max() > 255:
            raise DataError(f"{path}[{image_key!r}] must hold pixel values in [0, 255] "
                            f"(uint8 or float); found values in "
                            f"[{images.min()}, {images.max()}].")
        if not np.isfinite(images).all():
            raise DataError(f"{path}[{image_key!r}] holds NaN or infinite pixel values.")
        if images.max() <= 1.0:  # floats in [0, 1]
            images = images * 255.0
        images = np.round(images).astype(np.uint8)
    if labels is not None and labels.ndim == 2 and labels.shape[1] == 1:  # (n, 1) columns
        labels = labels[:, 0]
    return images, (None if labels is None else (labels, f"{path}[{label_key!r}]"))


def checked_label_array(labels, where, num_classes=None, class_names=None):
    """An .npz's label array as int32 class indices, refused naming the position and value of
    the first one that is not a class (see `ganzoo.checks.class_indices`). Without a model
    to check against (num_classes None), integer indices >= 0 are accepted."""
    from ganzoo.checks import class_indices

    if num_classes is None:
        numeric = labels.dtype.kind in "iuf" and labels.size and np.isfinite(labels).all()
        num_classes = int(labels.max()) + 1 if numeric else 1
    try:
        return class_indices(labels, num_classes, class_names, where=where)
    except ValueError as error:
        raise DataError(str(error)) from None


def _tfds_dataset(name, data_dir, split, num_classes=None):
    import tensorflow_datasets as tfds

    try:
        dataset, info = tfds.load(name, split=split, data_dir=data_dir, with_info=True,
                                  download=False)
    except tfds.core.registered.DatasetNotFoundError:
        import difflib

        close = difflib.get_close_matches(name, tfds.list_builders(), n=3, cutoff=0.6)
        raise DataError(
            f"tensorflow-datasets has no dataset named {name!r}"
            + (f"; did you mean {', '.join(close)}?" if close else ".")
            + " tfds.list_builders() lists the known names; or give a folder, .zip or .npz."
        ) from None
    except Exception as error:  # tfds raises several types; all mean "not available here"
        raise DataError(
            f"tensorflow-datasets could not load {name!r} (split {split!r}) from data_dir="
            f"{data_dir!r}: {error}. Prepare it first (tfds build / download_and_prepare) "
            f"and pass its data_dir."
        ) from None
    has_labels = "label" in info.features
    source_classes = getattr(info.features["label"], "num_classes", None) if has_labels else None
    if num_classes and source_classes and source_classes > num_classes:
        raise DataError(f"tfds:{name} has {source_classes} classes; the model has "
                        f"{num_classes} (labels 0..{num_classes - 1}).")
    dataset = dataset.map(
        (lambda e: (e["image"], tf.cast(e["label"], tf.int32))) if has_labels
        else (lambda e: e["image"])
    )
    count = int(dataset.cardinality())  # -2 (unknown) when tfds has no split metadata
    return dataset, (count if count >= 0 else None), has_labels


def image_dataset(source, image_shape, batch_size, *, shuffle=True, repeat=False, seed=None,
                  with_labels="auto", data_dir=None, split="train", cache="auto", labels=None,
                  classes=None, drop_remainder=True, num_classes=None):
    """A batched tf.data.Dataset of float32 images in [-1, 1] (and int32 labels if present).

    with_labels: "auto" (carry labels when the source has them), True (require them), False.
    labels: for a folder or zip, "tags.csv:column" labels files by a CSV column (files without
    a row, or with a value outside `classes`, are left out); `classes` orders the classes.
    split: for a folder or zip, "train" is every file in name order, sliceable
    ("train[:90%]", "train[90%:]") to hold some out.
    drop_remainder: training wants equal batches (True); evaluation wants every image (False).
    num_classes: the model's class count: labels are checked against it (and an .npz's
    string labels read as names in `classes`) before any batch is made.
    Whatever is dropped (unreadable, truncated or tiny files), labels stay with their own
    files: one warning names every file left out, and a source with nothing usable is an
    error.
    """
    image_shape = tuple(int(d) for d in image_shape)
    if batch_size is None or isinstance(batch_size, bool) or int(batch_size) <= 0:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}.")
    source = os.fspath(source)
    label_spec, labels = labels, None
    if label_spec is not None and (source.startswith("tfds:") or source.endswith(".npz")):
        raise DataError(f"labels={label_spec!r} (a CSV) applies to a folder or zip of images; "
                        f"{source} carries its own labels.")
    if source.startswith("tfds:"):
        dataset, count, has_labels = _tfds_dataset(source[5:], data_dir, split, num_classes)
        dataset = dataset.map(lambda *e: (_fit_image(_match_channels(e[0], image_shape[-1]),
                                                     image_shape),) + tuple(e[1:]))
        labelled = has_labels
    else:
        if not os.path.exists(source):
            raise DataError(
                f"Data path {source!r} does not exist. Give a folder of images, a .zip of "
                f"images, an .npz with an image array, or tfds:NAME."
            )
        if source.lower().endswith(".npz"):
            images, labels = npz_arrays(source, split)
            if labels is not None and with_labels is not False:
                labels = checked_label_array(*labels, num_classes, classes)
            else:
                labels = None
            count = len(images)
            dataset = tf.data.Dataset.from_tensor_slices(images)
            dataset = dataset.map(
                lambda x: _fit_image(_match_channels(x, image_shape[-1]), image_shape))
            labelled = labels is not None
            if labelled:
                if len(labels) != count:
                    raise DataError(f"{source} has {count} images but {len(labels)} labels.")
                dataset = tf.data.Dataset.zip(dataset,
                                              tf.data.Dataset.from_tensor_slices(labels))
        else:
            split_name, rows = _parse_split(split)
            if split_name != "train":
                raise DataError(f"A folder or zip has one split, 'train' (sliceable, e.g. "
                                f"'train[:90%]'); got {split!r}.")
            table = None
            if label_spec is not None:
                table, _ = read_label_table(label_spec, classes)
            encoded, names, skipped = _read_encoded(
                source, keep=None if table is None else table.__contains__, rows=rows)
            total = len(encoded) + len(skipped)
            encoded, names = _keep_decodable(encoded, names, image_shape, skipped)
            _warn_skipped(skipped, source, total)
            if table is not None:
                # Labels are looked up by each kept file's own name: nothing dropped
                # above or below can shift them onto other images.
                labels = np.asarray([table[os.path.basename(n)] for n in names], np.int32)
                found = {os.path.basename(n) for n in [*names, *skipped]}
                missing = [f for f in table if f not in found]
                if missing and rows.start is None and rows.stop is None:
                    log.warning("%d labelled file(s) named in %s are not in %s (skipped): %s",
                                len(missing), label_spec, source, ", ".join(missing[:5]))
            if not encoded:
                raise DataError(
                    f"No usable images in {source!r}"
                    + (f": all {len(skipped)} file(s) were skipped (see the warning above)."
                       if skipped else ".")
                    + f" Accepted formats: {', '.join(IMAGE_EXTENSIONS)}, at least "
                    f"{min_side(image_shape)} px on the shorter side."
                )
            count = len(encoded)
            blobs = tf.data.Dataset.from_tensor_slices(encoded)
            if labels is not None:  # one element per file: its bytes and its label together
                blobs = tf.data.Dataset.zip(blobs, tf.data.Dataset.from_tensor_slices(labels))

            def decode(blob, *label):
                image = tf.io.decode_image(blob, channels=image_shape[-1],
                                           expand_animations=False)
                return (_fit_image(image, image_shape), *label)

            dataset = blobs.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
            labelled = table is not None
    if with_labels is True and not labelled:
        raise DataError(f"{source} has no labels, but this model needs them (a conditional "
                        f"model): use an .npz with a label array, or a labelled tfds dataset.")
    if with_labels is False and labelled:
        dataset = dataset.map(lambda image, label: image)
        labelled = False
    if drop_remainder and count is not None and count < batch_size:
        raise DataError(f"{source} holds {count} images, fewer than one batch of {batch_size}.")

    fits = count is not None and count * int(np.prod(image_shape)) <= CACHE_LIMIT_BYTES
    if cache is True or (cache == "auto" and fits):
        dataset = dataset.cache()
    if shuffle:
        buffer = min(count or 20_000, 20_000)
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(int(batch_size), drop_remainder=bool(drop_remainder))
    if labelled:
        dataset = dataset.map(lambda x, y: (to_model_range(x), y), tf.data.AUTOTUNE)
    else:
        dataset = dataset.map(to_model_range, tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
