"""Image value conversions and PNG grids, shared by the sampler, export, CLI and data pipeline."""
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
