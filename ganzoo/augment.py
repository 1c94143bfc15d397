"""Differentiable augmentation (DiffAugment; Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable
Augmentation for Data-Efficient GAN Training", Section 3 and their reference code).

D sees every image, real or generated, through the same random transformations T, in both
players' steps: D maximises f(D(T(x))) and f(D(T(G(z)))) and G descends through T(G(z)),
so the transformations must be differentiable. Augmenting only the real images would teach
G to produce augmented images; augmenting both keeps the target distribution unchanged.

The policy names the transformation families, applied in this order:
- color: brightness + U(-0.5, 0.5); saturation x U(0, 2); contrast x U(0.5, 1.5);
- translation: shift by up to 1/8 of the side, zero fill;
- cutout: a zeroed square of half the side at a random centre.
Images are in [-1, 1] (the generators' range), one set of random parameters per image.
"""
import tensorflow as tf

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy):
    """"color,translation,cutout" (or a list) -> a tuple of known family names; None/"" -> ()."""
    if not policy:
        return ()
    names = [p.strip() for p in policy.split(",")] if isinstance(policy, str) else list(policy)
    unknown = [p for p in names if p not in POLICIES]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"augment policy must name each of {', '.join(POLICIES)} at most "
                         f"once (comma-separated), got {policy!r}.")
    return tuple(p for p in POLICIES if p in names)  # the paper's order, whatever was given


def diff_augment(images, policy, uniform):
    """Applies `policy` (from parse_policy) to a (batch, H, W, C) float batch.
    `uniform(tail)` returns per-image U[0, 1) draws of shape (batch, *tail) (the model passes
    its own checkpointed, replica-aware noise stream)."""
    for family in policy:
        images = _FAMILIES[family](images, uniform)
    return images


def _color(x, uniform):
    draws = uniform((3,))  # brightness, saturation, contrast
    brightness, saturation, contrast = (tf.reshape(draws[:, i], [-1, 1, 1, 1]) for i in range(3))
    x = x + (brightness - 0.5)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * (saturation * 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (contrast + 0.5) + mean


def _shift_indices(draw, size, ratio):
    """Per-image index maps for a shift of up to ratio * size pixels: positions that fall
    outside the image point at the zero border added by padding (index 0 or size + 1)."""
    shift = int(size * ratio + 0.5)
    offsets = tf.cast(tf.floor(draw * (2 * shift + 1)), tf.int32) - shift  # in [-shift, shift]
    positions = tf.range(size)[None, :] + offsets[:, None] + 1
    return tf.clip_by_value(positions, 0, size + 1)


def _translation(x, uniform, ratio=0.125):
    height, width = x.shape[1], x.shape[2]
    draws = uniform((2,))
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    rows = _shift_indices(draws[:, 0], height, ratio)
    cols = _shift_indices(draws[:, 1], width, ratio)
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def _cutout(x, uniform, ratio=0.5):
    height, width = x.shape[1], x.shape[2]
    draws = uniform((2,))

    def inside(draw, size):
        cut = int(size * ratio + 0.5)
        # Centre in [0, size + (1 - cut % 2)), as the reference code: the square may hang over
        # the border, so every pixel is cut out equally often.
        centre = tf.cast(tf.floor(draw * (size + 1 - cut % 2)), tf.int32)
        start = centre - cut // 2
        position = tf.range(size)[None, :]
        return tf.logical_and(position >= start[:, None], position < start[:, None] + cut)

    cut = tf.logical_and(inside(draws[:, 0], height)[:, :, None],
                         inside(draws[:, 1], width)[:, None, :])
    return x * tf.cast(tf.logical_not(cut), x.dtype)[..., None]


_FAMILIES = {"color": _color, "translation": _translation, "cutout": _cutout}
