"""StyleGAN2 networks at small scale (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN"; the mapping network and styles of Karras et al. 2019).

Generator = mapping -> w_avg -> broadcast -> synthesis, one functional model z -> images, with
its parts as named layers so a variant can drive them separately (style mixing, truncation):
- "mapping": z -> w. z is normalised to unit second moment, then `mapping_layers` dense layers
  with LeakyReLU(0.2) at a 0.01 learning-rate multiplier (2019, Section 2 and Appendix C).
- "w_avg": the running mean of w (`WAverage`), the centre of the truncation trick.
- "synthesis": ws (batch, num_ws, w_dim) -> images. A learned 4x4 constant, then per resolution
  two 3x3 modulated and demodulated convolutions (2020, Eq. 1-3; the first after a 2x bilinear
  upsampling), each followed by scaled per-pixel noise, a bias and LeakyReLU(0.2); a toRGB
  (modulated 1x1, no demodulation) at every resolution summed into an upsampled skip image
  (2020, Figure 7 "skip" generator). Layer i reads style ws[:, i]; num_ws = 2 log2(side / 4)
  + 2 (10 at 64x64), as in the official code (a toRGB shares the next conv's w).
Discriminator: the "residual" D of 2020, Figure 7: fromRGB, then per resolution two 3x3
convolutions and a 2x average-pool down, a 1x1 pooled shortcut, the sum scaled by 1/sqrt(2);
at 4x4 the minibatch standard-deviation feature (Karras et al. 2018), a 3x3 convolution, a
dense layer and the logit.

Every weight uses the equalised learning rate (Karras et al. 2018, Section 4.1): drawn from
N(0, 1) and scaled by gain / sqrt(fan_in) at run time. Simplifications against the official
code, for CPU budgets: bilinear up/down-sampling instead of the [1, 3, 3, 1] FIR filter with
transposed convolutions, and no path-length regulariser (the ADA paper also drops it at low
resolutions). Widths: `base_filters` channels at 64x64, doubling per halving of the side up
to `max_filters`.
"""
import math

import keras
from keras import layers, ops

from ganzoo.plugins import register_network

LRELU_GAIN = math.sqrt(2.0)


def _cast(value, like):
    return ops.cast(value, like.dtype)


@keras.saving.register_keras_serializable("ganzoo")
class EqualDense(layers.Layer):
    """A dense layer with the equalised learning rate: kernel ~ N(0, 1 / lr_multiplier),
    computed as kernel * gain * lr_multiplier / sqrt(fan_in) (+ bias * lr_multiplier)."""

    def __init__(self, units, gain=1.0, lr_multiplier=1.0, bias_init=0.0, activation=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain, self.lr_multiplier = units, gain, lr_multiplier
        self.bias_init, self.activation = bias_init, activation

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = self.gain * self.lr_multiplier / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            shape=(fan_in, self.units), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        self.bias = self.add_weight(
            shape=(self.units,), name="bias",
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def call(self, x):
        y = ops.matmul(x, _cast(self.kernel * self.scale, x)) + \
            _cast(self.bias * self.lr_multiplier, x)
        if self.activation == "lrelu":
            y = ops.leaky_relu(y, 0.2) * LRELU_GAIN
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "gain": self.gain,
                "lr_multiplier": self.lr_multiplier, "bias_init": self.bias_init,
                "activation": self.activation}


@keras.saving.register_keras_serializable("ganzoo")
class PixelNorm(layers.Layer):
    """z / sqrt(mean(z^2) + 1e-8) over the last axis (the mapping network's input)."""

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable("ganzoo")
class WAverage(layers.Layer):
    """Holds the running mean of w (a non-trainable weight, so it ships with the generator
    and the EMA generator averages it too); the identity on w. `truncate(w, psi)` is the
    truncation trick w_avg + psi (w - w_avg) (Karras et al. 2019, Eq. 2)."""

    def build(self, input_shape):
        self.w_avg = self.add_weight(shape=(int(input_shape[-1]),), initializer="zeros",
                                     trainable=False, name="w_avg")

    def call(self, w):
        return w

    def track(self, w, beta):
        """w_avg <- beta * w_avg + (1 - beta) * mean of the batch's w."""
        mean = ops.mean(ops.cast(w, "float32"), axis=0)
        self.w_avg.assign(beta * self.w_avg + (1.0 - beta) * mean)

    def truncate(self, w, psi):
        w_avg = _cast(self.w_avg, w)
        return w_avg + _cast(psi, w) * (w - w_avg)


@keras.saving.register_keras_serializable("ganzoo")
class Broadcast(layers.Layer):
    """w (batch, w_dim) -> ws (batch, num_ws, w_dim): the same style for every layer."""

    def __init__(self, num_ws, **kwargs):
        super().__init__(**kwargs)
        self.num_ws = num_ws

    def call(self, w):
        return ops.repeat(ops.expand_dims(w, 1), self.num_ws, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_ws, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws}


@keras.saving.register_keras_serializable("ganzoo")
class ConstantInput(layers.Layer):
    """The learned constant (size x size x channels) the synthesis starts from, repeated
    over the batch of ws."""

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.size = channels, size

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(1, self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0),
                                        name="constant")

    def call(self, ws):
        batch = ops.shape(ws)[0]
        return ops.tile(ops.cast(self.constant, self.compute_dtype), [batch, 1, 1, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable("ganzoo")
class ModulatedConv2D(layers.Layer):
    """[x, ws] -> conv(x, w * s) (* demodulation), StyleGAN2 Eq. 1-3 in the batched form of
    the official code's non-fused path: the style s = A(ws[:, index]) scales the input
    channels, the convolution is shared, and demodulation multiplies each output channel by
    1 / sqrt(sum over kernel and input channels of (s * w)^2 + 1e-8), which gives every output
    feature map unit expected variance for unit-variance input.
    With `noise`, per-pixel Gaussian noise scaled by a learned per-layer strength is added
    (random in training, a fixed map when sampling, so sampling is deterministic), then a
    bias and LeakyReLU(0.2) * sqrt 2. `upsample` first doubles the side (bilinear)."""

    def __init__(self, filters, kernel_size, style_index, demodulate=True, upsample=False,
                 noise=True, activation="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.style_index = filters, kernel_size, style_index
        self.demodulate, self.upsample, self.noise = demodulate, upsample, noise
        self.activation = activation
        self.seed_generator = keras.random.SeedGenerator(style_index)

    def build(self, input_shape):
        x_shape, ws_shape = input_shape
        channels, w_dim = int(x_shape[-1]), int(ws_shape[-1])
        # The style's affine map A (an equalised dense layer, bias 1: styles start at 1).
        self.affine_kernel = self.add_weight(
            shape=(w_dim, channels), initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="affine_kernel")
        self.affine_bias = self.add_weight(shape=(channels,), initializer="ones",
                                           name="affine_bias")
        self.affine_gain = 1.0 / math.sqrt(w_dim)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.weight_gain = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        if self.noise:
            side = int(x_shape[1]) * (2 if self.upsample else 1)
            self.noise_strength = self.add_weight(shape=(), initializer="zeros",
                                                  name="noise_strength")
            self.noise_const = self.add_weight(
                shape=(1, side, side, 1), initializer=keras.initializers.RandomNormal(stddev=1.0),
                trainable=False, name="noise_const")

    def styles(self, ws):
        """s = A(w) for this layer's w = ws[:, style_index], in float32."""
        w = ops.cast(ws[:, self.style_index], "float32")
        return ops.matmul(w, self.affine_kernel * self.affine_gain) + self.affine_bias

    def call(self, inputs, training=False):
        x, ws = inputs
        if self.upsample:
            side = x.shape[1] * 2
            x = ops.image.resize(x, (side, side), interpolation="bilinear")
        styles = self.styles(ws)
        kernel = self.kernel * self.weight_gain  # float32
        x = x * _cast(styles[:, None, None, :], x)
        y = ops.conv(x, _cast(kernel, x), padding="same")
        if self.demodulate:
            # sum_{k, i} (s_i w_kio)^2 = sum_i s_i^2 sum_k w_kio^2, per sample and output.
            squared = ops.sum(ops.square(kernel), axis=(0, 1))  # (in, out)
            power = ops.matmul(ops.square(ops.cast(styles, "float32")), squared)
            y = y * _cast(ops.rsqrt(power + 1e-8)[:, None, None, :], y)
        if self.noise:
            if training:
                noise = keras.random.normal((ops.shape(y)[0], y.shape[1], y.shape[2], 1),
                                            seed=self.seed_generator)
            else:
                noise = self.noise_const
            y = y + _cast(noise * self.noise_strength, y)
        y = y + _cast(self.bias, y)
        if self.activation == "lrelu":
            y = ops.leaky_relu(y, 0.2) * LRELU_GAIN
        return y

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0]
        side = None if x_shape[1] is None else x_shape[1] * (2 if self.upsample else 1)
        return (x_shape[0], side, side, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "style_index": self.style_index,
                "demodulate": self.demodulate, "upsample": self.upsample, "noise": self.noise,
                "activation": self.activation}


@keras.saving.register_keras_serializable("ganzoo")
class EqualConv2D(layers.Layer):
    """A convolution with the equalised learning rate (the discriminator's layers)."""

    def __init__(self, filters, kernel_size, activation="lrelu", use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size
        self.activation, self.use_bias = activation, use_bias

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros",
                                    name="bias") if self.use_bias else None
        self.weight_gain = 1.0 / math.sqrt(channels * self.kernel_size ** 2)

    def call(self, x):
        y = ops.conv(x, _cast(self.kernel * self.weight_gain, x), padding="same")
        if self.bias is not None:
            y = y + _cast(self.bias, y)
        if self.activation == "lrelu":
            y = ops.leaky_relu(y, 0.2) * LRELU_GAIN
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "activation": self.activation,
                "use_bias": self.use_bias}


@keras.saving.register_keras_serializable("ganzoo")
class MinibatchStddev(layers.Layer):
    """Appends the mean standard deviation of each feature over groups of `group_size`
    samples as one extra channel (Karras et al. 2018, Section 3), so D can see a lack of
    variety in a batch."""

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, x):
        batch = ops.shape(x)[0]
        group = ops.minimum(self.group_size, batch)
        height, width, channels = x.shape[1], x.shape[2], x.shape[3]
        y = ops.reshape(ops.cast(x, "float32"), (group, -1, height, width, channels))
        y = ops.sqrt(ops.var(y, axis=0) + 1e-8)  # (batch / group, H, W, C)
        y = ops.mean(y, axis=(1, 2, 3))  # (batch / group,)
        y = ops.tile(ops.reshape(y, (-1, 1, 1, 1)), [group, height, width, 1])
        return ops.concatenate([x, _cast(y, x)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def _levels(image_shape):
    side = int(image_shape[0])
    if image_shape[0] != image_shape[1] or side < 8 or side & (side - 1):
        raise ValueError(f"StyleGAN stacks need square images whose side is a power of two "
                         f">= 8 (e.g. 32, 64, 128), got {image_shape[0]}x{image_shape[1]}.")
    return int(math.log2(side)) - 2  # doublings from 4x4


def _width(side, base_filters, max_filters):
    return int(min(max_filters, base_filters * 64 // side))


def num_style_layers(image_shape):
    return 2 * _levels(image_shape) + 2


def mapping_network(latent_dim, w_dim=256, mapping_layers=8, lr_multiplier=0.01,
                    name="mapping"):
    z = keras.Input((latent_dim,), name="z")
    w = PixelNorm()(z)
    for index in range(mapping_layers):
        w = EqualDense(w_dim, lr_multiplier=lr_multiplier, activation="lrelu",
                       name=f"fc{index}")(w)
    return keras.Model(z, w, name=name)


def synthesis_network(image_shape, w_dim=256, base_filters=32, max_filters=256,
                      name="synthesis"):
    levels = _levels(image_shape)
    num_ws = num_style_layers(image_shape)
    ws = keras.Input((num_ws, w_dim), name="ws")
    x = ConstantInput(_width(4, base_filters, max_filters), name="const")(ws)
    x = ModulatedConv2D(_width(4, base_filters, max_filters), 3, 0, name="b4_conv")([x, ws])
    rgb = ModulatedConv2D(image_shape[-1], 1, 1, demodulate=False, noise=False,
                          activation=None, name="b4_torgb")([x, ws])
    for level in range(1, levels + 1):
        side = 4 * 2 ** level
        filters = _width(side, base_filters, max_filters)
        x = ModulatedConv2D(filters, 3, 2 * level - 1, upsample=True,
                            name=f"b{side}_conv0")([x, ws])
        x = ModulatedConv2D(filters, 3, 2 * level, name=f"b{side}_conv1")([x, ws])
        rgb = layers.UpSampling2D(2, interpolation="bilinear")(rgb)
        rgb = layers.Add()([rgb, ModulatedConv2D(
            image_shape[-1], 1, 2 * level + 1, demodulate=False, noise=False,
            activation=None, name=f"b{side}_torgb")([x, ws])])
    images = layers.Activation("linear", dtype="float32", name="images")(rgb)
    return keras.Model(ws, images, name=name)


@register_network("stylegan", "generator")
def stylegan_generator(latent_dim, image_shape, base_filters=32, max_filters=256, w_dim=256,
                       mapping_layers=8, name="generator"):
    """z (batch, latent_dim) -> images (batch, H, W, C), roughly in [-1, 1] (linear
    output, as StyleGAN2's)."""
    mapping = mapping_network(latent_dim, w_dim, mapping_layers)
    synthesis = synthesis_network(image_shape, w_dim, base_filters, max_filters)
    z = keras.Input((latent_dim,), name="z")
    w = WAverage(name="w_avg")(mapping(z))
    ws = Broadcast(num_style_layers(image_shape), name="broadcast")(w)
    return keras.Model(z, synthesis(ws), name=name)


@register_network("stylegan", "discriminator")
def stylegan_discriminator(image_shape, base_filters=32, max_filters=256, mbstd_group=4,
                           name="discriminator"):
    """images (batch, H, W, C) -> logit (batch, 1)."""
    levels = _levels(image_shape)
    side = int(image_shape[0])
    images = keras.Input(tuple(image_shape), name="images")
    x = EqualConv2D(_width(side, base_filters, max_filters), 1, name="fromrgb")(images)
    for _ in range(levels):
        filters_in = _width(side, base_filters, max_filters)
        filters_out = _width(side // 2, base_filters, max_filters)
        shortcut = EqualConv2D(filters_out, 1, activation=None, use_bias=False)(
            layers.AveragePooling2D(2)(x))
        h = EqualConv2D(filters_in, 3)(x)
        h = layers.AveragePooling2D(2)(EqualConv2D(filters_out, 3)(h))
        x = layers.Rescaling(1 / math.sqrt(2.0))(layers.Add()([shortcut, h]))
        side //= 2
    x = MinibatchStddev(mbstd_group)(x)
    x = EqualConv2D(_width(4, base_filters, max_filters), 3)(x)
    x = layers.Flatten()(x)
    x = EqualDense(_width(4, base_filters, max_filters), gain=1.0, activation="lrelu")(x)
    logits = EqualDense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
