"""Network builders. Each builder takes plain config values and returns a built keras.Model.

`build_network(spec, ...)` dispatches on `spec["type"]`, so zoo configs stay data, not code:
each builder registers its type, role and inputs where it is defined
(`ganzoo.plugins.register_network`; `ganzoo.plugins.NETWORKS` lists them).
"""
import keras
from keras import ops

# Importing the stacks registers their builders (`ganzoo.plugins.register_network`).
from ganzoo.nets import autoencoder, dcgan, mlp, resnet, stylegan, translation  # noqa: F401
from ganzoo.plugins import NETWORKS


def _builder(role, spec, inputs):
    spec = dict(spec)
    kind = spec.pop("type", None)
    fitting = sorted(k for k, roles in NETWORKS.items()
                     if role in roles and roles[role][1] == inputs)
    if kind not in NETWORKS:
        raise ValueError(
            f"Unknown network type {kind!r} for the {role}; known types: {fitting}."
        )
    if role not in NETWORKS[kind]:
        raise ValueError(f"Network type {kind!r} has no {role}; it provides "
                         f"{sorted(NETWORKS[kind])}.")
    builder, takes = NETWORKS[kind][role]
    if takes != inputs:
        what = {"latent": "noise-to-image", "image": "image-to-image"}
        raise ValueError(f"Network type {kind!r} is a {role} for {what[takes]} models; this "
                         f"model is {what[inputs]}: use one of {fitting}.")
    return builder, spec


def build_network(role, spec, *, latent_dim, image_shape):
    """Builds the `role` ("generator" or "discriminator") network described by `spec`.
    Any spec may add `"spectral_norm": true` (see `with_spectral_norm`)."""
    spec, spectral_norm = _pop_spectral_norm(spec)
    builder, spec = _builder(role, spec, "latent")
    if role == "generator":
        network = builder(latent_dim=latent_dim, image_shape=image_shape, **spec)
    else:
        network = builder(image_shape=image_shape, **spec)
    return with_spectral_norm(network) if spectral_norm else network


def build_image_network(role, spec, **shapes):
    """An image-to-image network (inputs "image"): generators take source_shape and
    target_shape, discriminators image_shape (and condition_shape for pix2pix)."""
    spec, spectral_norm = _pop_spectral_norm(spec)
    builder, spec = _builder(role, spec, "image")
    network = builder(**shapes, **spec)
    return with_spectral_norm(network) if spectral_norm else network


def _pop_spectral_norm(spec):
    spec = dict(spec)
    value = spec.pop("spectral_norm", False)
    if not isinstance(value, bool):
        raise ValueError(f"spectral_norm must be true or false, got {value!r}.")
    return spec, value


@keras.saving.register_keras_serializable("ganzoo")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """Spectral normalisation as Miyato et al. (2018) define it: the wrapped layer computes
    with W_SN = W / sigma(W), where sigma = v^T W u comes from one power iteration per training
    call (u and v are held constant, Section 2.1), and the gradient flows through sigma into
    the raw kernel W (their Eq. 12: dL/dW = (G - <G, W_SN> u v^T) / sigma for G = dL/dW_SN,
    an adaptive penalty on the leading singular component).

    Keras' own wrapper does something else: it overwrites the kernel with W / sigma on every
    training call and lets the layer use that as a plain variable, so the gradient never sees
    sigma (it is G itself, and whatever of an optimizer step grows sigma is undone by the next
    projection). Measured on sngan-anime (docs/objectives.md) that learned visibly slower than
    the paper's form. This subclass keeps Keras' variables (`kernel`, `vector_u`), so its
    checkpoints have the same layout, but stores the raw W and normalises on the fly
    (`normalized_kernel()`), in float32 under any mixed precision policy (sigma in bfloat16
    would carry 8 bits of mantissa)."""

    def build(self, input_shape):
        if not isinstance(self.layer, _WEIGHTED):
            raise ValueError(f"ganzoo's SpectralNormalization wraps Dense, Conv2D and "
                             f"Conv2DTranspose layers; got {type(self.layer).__name__}.")
        super().build(input_shape)

    def _power_iteration(self):
        """(u, v, W as a matrix): one step from the stored u; u, v without gradient."""
        weights = ops.reshape(ops.cast(self.kernel.value, "float32"), [-1, self.kernel_shape[-1]])
        vector_u = ops.cast(self.vector_u.value, "float32")
        for _ in range(self.power_iterations):
            vector_v = keras.utils.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None)
            vector_u = keras.utils.normalize(ops.matmul(vector_v, weights), axis=None)
        return ops.stop_gradient(vector_u), ops.stop_gradient(vector_v), weights

    def normalized_kernel(self, update=False):
        """W / sigma(W) in float32; with update=True the power iteration's u is stored."""
        # Inside a layer's call Keras casts float32 variables to the compute dtype; it has no
        # public switch for this, and its own layers use the same scope.
        from keras.src.backend import AutocastScope

        with AutocastScope(None):
            vector_u, vector_v, weights = self._power_iteration()
        if update:
            self.vector_u.assign(vector_u)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))[0, 0]
        return ops.reshape(weights / sigma, self.kernel_shape)

    def call(self, inputs, training=False):
        kernel = ops.cast(self.normalized_kernel(update=bool(training)), inputs.dtype)
        layer = self.layer
        if isinstance(layer, keras.layers.Dense):
            outputs = ops.matmul(inputs, kernel)
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            outputs = ops.conv_transpose(
                inputs, kernel, strides=list(layer.strides), padding=layer.padding,
                output_padding=layer.output_padding, dilation_rate=layer.dilation_rate,
                data_format=layer.data_format)
        else:
            outputs = layer.convolution_op(inputs, kernel)
        if layer.use_bias:
            bias = ops.cast(layer.bias, outputs.dtype)
            if isinstance(layer, keras.layers.Dense) or layer.data_format == "channels_last":
                outputs = outputs + bias
            else:
                outputs = outputs + ops.reshape(bias, (1, -1) + (1,) * (len(outputs.shape) - 2))
        if layer.activation is not None:
            outputs = layer.activation(outputs)
        return outputs


_WEIGHTED = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)


def with_spectral_norm(network, power_iterations=1):
    """The same functional network with every Dense and convolution kernel spectrally
    normalised (Miyato et al. 2018): each such layer is wrapped in `SpectralNormalization`
    (ganzoo's subclass of Keras' wrapper, in float32 under mixed precision), which
    computes with the kernel divided by its largest singular value (one power iteration per
    training call, the paper's setting), with the gradient flowing through sigma as in the
    paper. This works on any builder's network, so every discriminator stack (DCGAN, MLP,
    BEGAN auto-encoder, PatchGAN) gets it from one config flag."""
    def clone(layer):
        copy = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, _WEIGHTED):
            # The wrapper keeps the layer's dtype policy (e.g. float32 logits under bf16).
            return SpectralNormalization(copy, power_iterations=power_iterations,
                                         name=f"{layer.name}_sn", dtype=layer.dtype_policy)
        return copy

    return keras.models.clone_model(network, clone_function=clone)
