"""Image value conversions, PNG grids and image files, shared by the sampler, export, CLI and
data pipeline."""
import math
import os

import numpy as np
from keras import ops


def to_uint8(images):
    """[-1, 1] floats -> uint8 [0, 255] (rounded, clipped); works on tensors inside graphs."""
    scaled = ops.clip(ops.round((ops.cast(images, "float32") + 1.0) * 127.5), 0.0, 255.0)
    return ops.cast(scaled, "uint8")


def make_grid(images, cols=None, padding=2, pad_value=255):
    """Tiles uint8 images (n, H, W, C) into one (rows*H', cols*W', C) array."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.dtype != np.uint8 or len(images) == 0:
        raise ValueError(
            f"save_grid needs a non-empty uint8 batch (n, H, W, C); got dtype {images.dtype} "
            f"and shape {images.shape}. Model.sample() returns exactly that."
        )
    n, h, w, c = images.shape
    cols = int(cols or math.ceil(math.sqrt(n)))
    if cols < 1:
        raise ValueError(f"cols must be a positive integer, got {cols}.")
    rows = math.ceil(n / cols)
    grid = np.full(
        (rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8
    )
    for i, image in enumerate(images):
        top = padding + (i // cols) * (h + padding)
        left = padding + (i % cols) * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid


def save_grid(images, path, cols=None, padding=2):
    """Writes uint8 images (n, H, W, C) as one PNG grid with Pillow; returns the path."""
    from PIL import Image

    grid = make_grid(images, cols=cols, padding=padding)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(os.fspath(path))
    return path


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")


def read_images(inputs):
    """Image files and folders (their image files, sorted) -> (paths, list of uint8 arrays
    (h, w, c)). A missing path, an empty folder or a file Pillow cannot read is an error
    naming it."""
    from PIL import Image, UnidentifiedImageError

    paths = []
    for item in inputs:
        item = os.fspath(item)
        if os.path.isdir(item):
            found = sorted(os.path.join(item, n) for n in os.listdir(item)
                           if n.lower().endswith(IMAGE_SUFFIXES))
            if not found:
                raise ValueError(f"Folder {item!r} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
            paths.extend(found)
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise ValueError(f"Input {item!r} does not exist.")
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
                if image.mode not in ("L", "LA", "RGB", "RGBA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                images.append(np.asarray(image))
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"{path} is not a readable image ({error}).") from None
    return paths, images


def write_image(image, path):
    """One uint8 image (h, w, c) as a PNG (or any format Pillow infers from the suffix)."""
    from PIL import Image

    image = np.asarray(image)
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(os.fspath(path))
    return path
