"""The image-to-image base class: pix2pix and CycleGAN subclass `ImageTranslator`.

A translator maps images of domain A to domain B (and, for CycleGAN, back). Beyond the shared
adversarial plumbing (`AdversarialModel`) it holds what every translator needs:
- `translate(images, direction=None)`: uint8 or float pictures of any size, one or a batch,
  in; uint8 pictures of the same size out (resized to the model's resolution and back);
- `side_by_side(...)`: input | output (| target) rows for READMEs and training previews;
- the TF Serving signatures (`images` uint8 -> `images` uint8, one per direction).
"""
import logging

import keras
import numpy as np
import tensorflow as tf

from ganzoo.adversarial import AdversarialModel
from ganzoo.checks import check_count
from ganzoo.export import checked_input
from ganzoo.images import to_uint8

log = logging.getLogger("ganzoo")


def _as_image_list(images):
    """(list of (h, w, c) arrays, single?) from one image, a batch array or a list."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("translate got an empty list of images.")
        return [np.asarray(image) for image in images], False
    array = np.asarray(images)
    if array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (1, 2, 3, 4)):
        return [array], True  # one (h, w) or (h, w, c) image
    if array.ndim == 4 or array.ndim == 3:  # a batch (n, h, w, c) or of grayscale (n, h, w)
        if len(array) == 0:
            raise ValueError("translate got an empty batch of images.")
        return list(array), False
    raise ValueError(f"translate takes an image (h, w[, c]), a batch (n, h, w[, c]) or a list "
                     f"of images; got an array of shape {array.shape}.")


def _to_unit_float(image):
    """An image as float32 in [0, 1]: uint8 is divided by 255; floats must already be in
    [0, 1] (the convention of PIL/skimage float images)."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == bool or not np.issubdtype(image.dtype, np.number):
        raise ValueError(f"Images must be uint8 (0-255) or float (0-1) arrays, got "
                         f"{image.dtype}.")
    if np.issubdtype(image.dtype, np.integer):
        if image.min() < 0 or image.max() > 255:
            raise ValueError(f"Integer images must hold values in [0, 255]; found "
                             f"[{image.min()}, {image.max()}].")
        return image.astype(np.float32) / 255.0
    if not np.all(np.isfinite(image)) or image.min() < 0.0 or image.max() > 1.0:
        raise ValueError(f"Float images must hold values in [0, 1]; found "
                         f"[{np.nanmin(image)}, {np.nanmax(image)}]. Divide 0-255 floats by "
                         f"255 or pass uint8.")
    return image.astype(np.float32)


def match_channels(image, channels, notes=None):
    """(h, w, c) float image -> `channels` channels: alpha is dropped (2 or 4 channels),
    grayscale is repeated into RGB, RGB is turned into luminance (ITU-R 601). Each conversion
    made is added to the set `notes` (translate logs them once per call)."""
    notes = set() if notes is None else notes
    if image.ndim == 2:
        image = image[..., None]
    have = image.shape[-1]
    if have not in (1, 2, 3, 4):
        raise ValueError(f"Images need 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) "
                         f"channels; got {have}.")
    if have in (2, 4):
        notes.add("dropped the alpha channel")
        image, have = image[..., :have - 1], have - 1
    if have == channels:
        return image
    if channels == 3:
        notes.add("converted grayscale to RGB (the model takes RGB)")
        return np.repeat(image, 3, axis=-1)
    notes.add("converted RGB to grayscale (the model takes one channel)")
    return (image @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]


def resize(image, size):
    """Bilinear, antialiased resize of a float (h, w, c) array to `size` (h, w)."""
    if tuple(image.shape[:2]) == tuple(size):
        return image
    return tf.image.resize(image, size, method="bilinear", antialias=True).numpy()


class ImageTranslator(AdversarialModel):
    """Base class of the image-to-image variants. Subclasses create `self.translators`, a
    dict direction -> generator network ("a2b", and "b2a" for two-way models)."""

    preview_cols = 2  # side-by-side rows are wide
    translates_images = True

    def __init__(self, domain_names=("a", "b"), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if len(domain_names) != 2:
            raise ValueError(f"domain_names needs two names (A, B), got {domain_names!r}.")
        self.domain_names = [str(n) for n in domain_names]
        # (A images, B images), uint8: what the training preview translates (held-out data)
        self.preview_sources = None

    def get_config(self):
        return {**super().get_config(), "domain_names": self.domain_names}

    @classmethod
    def zoo_options(cls, config, seed=None):
        return dict(super().zoo_options(config, seed),
                    domain_names=config.get("domain_names", ("a", "b")))

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def directions(self):
        return list(self.translators)

    def check_direction(self, direction):
        if direction is None:
            return self.directions[0]
        if direction not in self.translators:
            if len(self.translators) == 1:
                raise ValueError(f"{self.name} translates one way only "
                                 f"({self.directions[0]}: {self.domain_names[0]} -> "
                                 f"{self.domain_names[1]}); direction={direction!r} is not "
                                 f"available.")
            raise ValueError(f"direction must be one of {self.directions}, got {direction!r}.")
        return direction

    def shapes(self, direction):
        """(input shape, output shape) of the generator for `direction`."""
        network = self.translators[self.check_direction(direction)]
        return (tuple(int(d) for d in network.inputs[0].shape[1:]),
                tuple(int(d) for d in network.outputs[0].shape[1:]))

    def unpack_pair(self, data):
        """`fit` data must be (domain A batch, domain B batch) of the model's shapes; checked
        while tracing so a wrong dataset fails with this message, not inside a convolution."""
        shape_a, shape_b = self.shapes(self.directions[0])
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(f"{self.name} trains on (A images, B images) pairs of batches; "
                             f"the dataset gives {type(data).__name__} elements. "
                             f"ganzoo.pairs builds such datasets.")
        for images, shape, domain in zip(data, (shape_a, shape_b), self.domain_names):
            got = tuple(images.shape[1:])
            if len(got) != 3 or any(g is not None and g != e for g, e in zip(got, shape)):
                raise ValueError(f"{self.name} takes {domain} images of shape {shape} in "
                                 f"[-1, 1]; the dataset gives {got}.")
        return data[0], data[1]

    @property
    def source_shape(self):
        """Shape of the images the first direction takes (domain A)."""
        return self.shapes(self.directions[0])[0]

    @property
    def image_shape(self):
        """Shape of the images the first direction makes (domain B), as in zoo configs."""
        return self.shapes(self.directions[0])[1]

    def call(self, images, training=False):
        return self.translators[self.directions[0]](images, training=training)

    # --------------------------------------------------------------- the public API
    def translate(self, images, direction=None, *, resize_to_fit=True, batch_size=64):
        """Translates pictures with the trained generator.

        images: one image (h, w) / (h, w, c), a batch (n, h, w[, c]) or a list of images of
          any sizes; uint8 (0-255) or float (0-1). Channels are converted to the model's
          (alpha dropped, gray <-> RGB, logged). A 3-D array whose last axis is 1-4 is read
          as one image (h, w, c); wrap a batch of tiny grayscale images as (n, h, w, 1).
        direction: "a2b" (default) or, for two-way models, "b2a".
        resize_to_fit: resize each image to the model's resolution and the result back to the
          image's own size; False raises if an image is not already the model's size.
        Returns uint8 images shaped like the input (a list in, a list out).
        """
        direction = self.check_direction(direction)
        batch_size = check_count(batch_size, "batch_size")
        pictures, single = _as_image_list(images)
        in_shape, out_shape = self.shapes(direction)
        prepared, sizes, notes = [], [], set()
        for index, picture in enumerate(pictures):
            if picture.ndim not in (2, 3) or 0 in picture.shape[:2]:
                raise ValueError(f"Image {index} has shape {picture.shape}: translate needs "
                                 f"images of at least 1x1 pixels, (h, w) or (h, w, c).")
            image = match_channels(_to_unit_float(picture), in_shape[-1], notes)
            sizes.append(image.shape[:2])
            if image.shape[:2] != in_shape[:2]:
                if not resize_to_fit:
                    raise ValueError(
                        f"Image {index} is {image.shape[0]}x{image.shape[1]}, but {self.name} "
                        f"works at {in_shape[0]}x{in_shape[1]}; pass resize_to_fit=True to "
                        f"resize it (and the result back).")
                image = resize(image, in_shape[:2])
            prepared.append(image * 2.0 - 1.0)
        for note in sorted(notes):
            log.info("translate: %s.", note)
        network = self.translators[direction]
        outputs = []
        for start in range(0, len(prepared), batch_size):
            batch = np.stack(prepared[start:start + batch_size]).astype(np.float32)
            translated = network(batch, training=False)  # dropout off: deterministic output
            outputs.extend((np.asarray(translated) + 1.0) / 2.0)
        results = [to_uint8(resize(o, size) * 2.0 - 1.0).numpy()
                   for o, size in zip(outputs, sizes)]
        if single:
            return results[0]
        if isinstance(images, (list, tuple)):
            return results
        return np.stack(results)

    def side_by_side(self, images, direction=None, targets=None):
        """uint8 rows input | translation (| target), each (H, k*W, C) at the model's size,
        ready for `save_grid(rows, path, cols=1)`."""
        direction = self.check_direction(direction)
        in_shape, out_shape = self.shapes(direction)
        sources, _ = _as_image_list(images)
        sources = [to_uint8(resize(match_channels(_to_unit_float(s), out_shape[-1]),
                                   out_shape[:2]) * 2.0 - 1.0).numpy() for s in sources]
        translated = self.translate(images, direction)
        translated = list(translated) if not isinstance(translated, list) else translated
        columns = [sources, [to_uint8(resize(t.astype(np.float32) / 255.0, out_shape[:2])
                                      * 2.0 - 1.0).numpy() for t in translated]]
        if targets is not None:
            columns.append([to_uint8(resize(match_channels(_to_unit_float(t), out_shape[-1]),
                                            out_shape[:2]) * 2.0 - 1.0).numpy()
                            for t in _as_image_list(targets)[0]])
        return np.stack([np.concatenate(row, axis=1) for row in zip(*columns)])

    def preview(self, num, seed):
        """Rows A | G(A) | B for one-way models (B is the paired target), A | G(A) and
        B | F(B) for two-way models, from `preview_sources` (None when unset)."""
        if self.preview_sources is None:
            return None
        a, b = (images[:num] for images in self.preview_sources)
        if len(self.directions) == 1:
            return self.side_by_side(a, targets=b)
        return np.concatenate([self.side_by_side(a, "a2b"), self.side_by_side(b, "b2a")])

    # ------------------------------------------------------------------- shipping
    @property
    def generator_networks(self):
        return list(self.translators.values())

    def shipped_network(self):
        """One network: pix2pix's generator, or for two-way models a functional model holding
        both generators (so one weights file ships both)."""
        if len(self.translators) == 1:
            return self.translators[self.directions[0]]
        inputs = [keras.Input(net.inputs[0].shape[1:], name=d)
                  for d, net in self.translators.items()]
        outputs = [net(x) for x, net in zip(inputs, self.translators.values())]
        return keras.Model(inputs, outputs, name="generators")

    @property
    def export_networks(self):
        return list(self.translators.values())

    def serving_endpoints(self):
        """TF Serving signatures: named uint8 `images` in and out, one per direction
        ("a2b", "b2a"); serving_default is the first direction."""
        def serving_function(network):
            def serve(images):
                images = checked_input(images, network.inputs[0].shape[1:], "images")
                scaled = tf.cast(images, tf.float32) / 127.5 - 1.0
                return {"images": to_uint8(network(scaled, training=False))}
            return serve

        endpoints = {}
        for direction, network in self.translators.items():
            in_shape, _ = self.shapes(direction)
            spec = [tf.TensorSpec([None, *in_shape], tf.uint8, name="images")]
            endpoints[direction] = (serving_function(network), spec)
        endpoints = {"serving_default": endpoints[self.directions[0]], **endpoints}
        return endpoints if len(self.translators) > 1 else {
            "serving_default": endpoints["serving_default"]}
