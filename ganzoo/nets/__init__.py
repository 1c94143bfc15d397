"""Network builders. Each builder takes plain config values and returns a built keras.Model.

`build_network(spec, ...)` dispatches on `spec["type"]`, so zoo configs stay data, not code.
"""
import keras
from keras import ops

from ganzoo.nets.autoencoder import began_autoencoder, began_generator
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator
from ganzoo.nets.mlp import mlp_discriminator, mlp_generator
from ganzoo.nets.translation import patchgan_discriminator, resnet_generator, unet_generator

BUILDERS = {
    "dcgan": {"generator": dcgan_generator, "discriminator": dcgan_discriminator},
    "mlp": {"generator": mlp_generator, "discriminator": mlp_discriminator},
    "autoencoder": {"generator": began_generator, "discriminator": began_autoencoder},
}
# Image-to-image networks take image shapes instead of a latent size.
IMAGE_BUILDERS = {
    "unet": {"generator": unet_generator},
    "resnet": {"generator": resnet_generator},
    "patchgan": {"discriminator": patchgan_discriminator},
}


def _builder(registry, role, spec):
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in registry:
        raise ValueError(
            f"Unknown network type {kind!r} for the {role}; known types: {sorted(registry)}."
        )
    if role not in registry[kind]:
        raise ValueError(f"Network type {kind!r} has no {role}; it provides "
                         f"{sorted(registry[kind])}.")
    return registry[kind][role], spec


def build_network(role, spec, *, latent_dim, image_shape):
    """Builds the `role` ("generator" or "discriminator") network described by `spec`.
    Any spec may add `"spectral_norm": true` (see `with_spectral_norm`)."""
    spec, spectral_norm = _pop_spectral_norm(spec)
    builder, spec = _builder(BUILDERS, role, spec)
    if role == "generator":
        network = builder(latent_dim=latent_dim, image_shape=image_shape, **spec)
    else:
        network = builder(image_shape=image_shape, **spec)
    return with_spectral_norm(network) if spectral_norm else network


def build_image_network(role, spec, **shapes):
    """An image-to-image network (`IMAGE_BUILDERS`): generators take source_shape and
    target_shape, discriminators image_shape (and condition_shape for pix2pix)."""
    spec, spectral_norm = _pop_spectral_norm(spec)
    builder, spec = _builder(IMAGE_BUILDERS, role, spec)
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
    """`keras.layers.SpectralNormalization` with the power iteration and W / sigma computed
    in the kernel's own dtype (float32). Inside a layer's call Keras casts float32 variables to
    the compute dtype, so under mixed_bfloat16 the stock layer computes the normalised kernel
    in bfloat16 and writes it back: every training call rounds the float32 kernel to 8 bits of
    mantissa, which swallows Adam updates below ~0.4% of a weight (measured: after one call
    every kernel entry was exactly representable in bfloat16)."""

    def call(self, inputs, training=False):
        if training:
            # Keras has no public switch for this; its own layers use the same scope.
            from keras.src.backend import AutocastScope

            with AutocastScope(None):
                new_vector_u, new_kernel = ops.cond(
                    ops.all(ops.equal(self.kernel.value, 0)),
                    lambda: (self.vector_u.value, self.kernel.value),
                    self.normalized_weights)
                self.vector_u.assign(new_vector_u)
                self.kernel.assign(new_kernel)
        return ops.cast(self.layer(inputs), inputs.dtype)


def with_spectral_norm(network, power_iterations=1):
    """The same functional network with every Dense and convolution kernel spectrally
    normalised (Miyato et al. 2018): each such layer is wrapped in `SpectralNormalization`
    (Keras' wrapper, kept in float32 under mixed precision), which, on every training call,
    divides the kernel by its largest singular value (one power iteration per call, the
    paper's setting) and stores the result. This works on any builder's network, so every discriminator stack
    (DCGAN, MLP, BEGAN auto-encoder, PatchGAN) gets it from one config flag. Unlike the
    paper's formulation, the gradient does not flow through sigma (Keras' implementation
    normalises the stored kernel in place)."""
    weighted = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)

    def clone(layer):
        copy = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, weighted):
            # The wrapper keeps the layer's dtype policy (e.g. float32 logits under bf16).
            return SpectralNormalization(copy, power_iterations=power_iterations,
                                         name=f"{layer.name}_sn", dtype=layer.dtype_policy)
        return copy

    return keras.models.clone_model(network, clone_function=clone)
