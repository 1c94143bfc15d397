"""Image-to-image networks: the pix2pix U-Net and PatchGAN (Isola et al. 2017, Section 3.2 and
Appendix 6.1) and the CycleGAN ResNet generator (Zhu et al. 2017, Appendix 7.2, after Johnson
et al. 2016). All take and return images in [-1, 1]; weights start from N(0, 0.02).

`norm`: "instance" (per image and channel, Ulyanov et al. 2016: Keras GroupNormalization with
groups=-1), "batch" or "none". Instance norm makes a translation independent of the rest of
the batch, which is what a user running `translate` on one picture expects.
"""
import keras
from keras import layers, ops

from ganzoo.plugins import register_network


def _init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _norm(kind):
    if kind == "instance":
        return layers.GroupNormalization(groups=-1, epsilon=1e-5)
    if kind == "batch":
        return layers.BatchNormalization(epsilon=1e-5)
    if kind == "none":
        return None
    raise ValueError(f"norm must be 'instance', 'batch' or 'none', got {kind!r}.")


def _check_shape(image_shape, what, power_of_two=False):
    if len(image_shape) != 3 or image_shape[0] != image_shape[1] or image_shape[-1] not in (1, 3):
        raise ValueError(f"{what} takes square images with 1 or 3 channels, got {image_shape}.")
    side = image_shape[0]
    if power_of_two and (side < 8 or side & (side - 1)):
        raise ValueError(f"{what} needs a power-of-two side >= 8 (it halves down to 1x1), "
                         f"got {side}.")


def _conv(width, kernel, strides=1, use_bias=True, transpose=False, padding="same"):
    layer = layers.Conv2DTranspose if transpose else layers.Conv2D
    return layer(width, kernel, strides=strides, padding=padding, use_bias=use_bias,
                 kernel_initializer=_init())


@register_network("unet", "generator", inputs="image")
def unet_generator(source_shape, target_shape, base_filters=64, norm="instance", dropout=0.5,
                   name="generator"):
    """pix2pix U-Net: encoder C64-C128-C256-C512-C512... (4x4 convs, stride 2, LeakyReLU 0.2)
    down to 1x1, decoder of transposed convs (ReLU) back up, each decoder layer joined to the
    mirrored encoder layer (the skip connections); dropout 0.5 in the three innermost
    decoder layers is the generator's noise (Isola et al., Section 3.1). No norm on the first
    and on the 1x1 innermost layer (normalising a single pixel would erase it)."""
    _check_shape(source_shape, "The U-Net", power_of_two=True)
    if tuple(source_shape[:2]) != tuple(target_shape[:2]):
        raise ValueError(f"The U-Net maps images to images of the same size; got source "
                         f"{source_shape} and target {target_shape}.")
    depth = int(source_shape[0]).bit_length() - 1  # 64 -> 6 stride-2 layers to 1x1
    widths = [base_filters * min(2 ** i, 8) for i in range(depth)]
    images = keras.Input(tuple(source_shape), name="images")
    x, skips = images, []
    for i, width in enumerate(widths):
        x = _conv(width, 4, strides=2, use_bias=i in (0, depth - 1) or norm == "none")(x)
        if 0 < i < depth - 1 and _norm(norm):
            x = _norm(norm)(x)
        x = layers.LeakyReLU(0.2)(x)
        skips.append(x)
    for i, (width, skip) in enumerate(zip(reversed(widths[:-1]), reversed(skips[:-1]))):
        x = _conv(width, 4, strides=2, use_bias=norm == "none", transpose=True)(x)
        if _norm(norm):
            x = _norm(norm)(x)
        if i < 3 and dropout:
            x = layers.Dropout(dropout)(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate()([x, skip])
    x = _conv(target_shape[-1], 4, strides=2, transpose=True)(x)
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(images, outputs, name=name)


@register_network("patchgan", "discriminator", inputs="image")
def patchgan_discriminator(image_shape, base_filters=64, layers_count=3, norm="instance",
                           condition_shape=None, name="discriminator"):
    """PatchGAN: a fully convolutional D whose every output logit judges one N x N patch.
    `layers_count` stride-2 layers then a stride-1 layer and the logit layer (4x4 convs):
    3 gives the paper's 70x70 receptive field at 256x256, 2 gives 34x34, 1 gives 16x16
    (scale it with the resolution). With `condition_shape` (pix2pix's conditional D) the
    inputs are [condition, image], joined along channels."""
    _check_shape(image_shape, "The PatchGAN")
    if layers_count < 1:
        raise ValueError(f"layers_count must be >= 1, got {layers_count}.")
    images = keras.Input(tuple(image_shape), name="images")
    inputs, x = images, images
    if condition_shape is not None:
        condition = keras.Input(tuple(condition_shape), name="condition")
        inputs, x = [condition, images], layers.Concatenate()([condition, images])
    for i in range(layers_count + 1):
        width = base_filters * min(2 ** i, 8)
        x = _conv(width, 4, strides=2 if i < layers_count else 1,
                  use_bias=i == 0 or norm == "none")(x)
        if i > 0 and _norm(norm):
            x = _norm(norm)(x)
        x = layers.LeakyReLU(0.2)(x)
    logits = layers.Conv2D(1, 4, padding="same", kernel_initializer=_init(), dtype="float32",
                           name="patch_logits")(x)
    return keras.Model(inputs, logits, name=name)


@keras.saving.register_keras_serializable("ganzoo")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring (Zhu et al. use it to avoid border artifacts)."""

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda d: None if d is None else d + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@register_network("resnet", "generator", inputs="image")
def resnet_generator(source_shape, target_shape, base_filters=64, blocks=6, norm="instance",
                     name="generator"):
    """CycleGAN generator: c7s1-64, d128, d256, R256 x blocks, u128, u64, c7s1-C (Zhu et al.,
    Appendix 7.2: 6 blocks at 128x128, 9 at 256x256), reflection padding, instance norm."""
    _check_shape(source_shape, "The ResNet generator")
    if source_shape[0] % 4:
        raise ValueError(f"The ResNet generator halves the side twice; got {source_shape[0]}.")

    def norm_relu(x, relu=True):
        if _norm(norm):
            x = _norm(norm)(x)
        return layers.ReLU()(x) if relu else x

    images = keras.Input(tuple(source_shape), name="images")
    x = ReflectionPadding2D(3)(images)
    x = norm_relu(_conv(base_filters, 7, padding="valid", use_bias=norm == "none")(x))
    for width in (base_filters * 2, base_filters * 4):
        x = norm_relu(_conv(width, 3, strides=2, use_bias=norm == "none")(x))
    for _ in range(blocks):
        y = ReflectionPadding2D(1)(x)
        y = norm_relu(_conv(base_filters * 4, 3, padding="valid", use_bias=norm == "none")(y))
        y = ReflectionPadding2D(1)(y)
        y = norm_relu(_conv(base_filters * 4, 3, padding="valid", use_bias=norm == "none")(y),
                      relu=False)
        x = layers.Add()([x, y])
    for width in (base_filters * 2, base_filters):
        x = norm_relu(_conv(width, 3, strides=2, transpose=True, use_bias=norm == "none")(x))
    x = ReflectionPadding2D(3)(x)
    x = _conv(target_shape[-1], 7, padding="valid")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(images, outputs, name=name)
