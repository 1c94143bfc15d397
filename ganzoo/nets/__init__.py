"""Network builders. Each builder takes plain config values and returns a built keras.Model.

`build_network(spec, ...)` dispatches on `spec["type"]`, so zoo configs stay data, not code.
"""
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
    """Builds the `role` ("generator" or "discriminator") network described by `spec`."""
    builder, spec = _builder(BUILDERS, role, spec)
    if role == "generator":
        return builder(latent_dim=latent_dim, image_shape=image_shape, **spec)
    return builder(image_shape=image_shape, **spec)


def build_image_network(role, spec, **shapes):
    """An image-to-image network (`IMAGE_BUILDERS`): generators take source_shape and
    target_shape, discriminators image_shape (and condition_shape for pix2pix)."""
    builder, spec = _builder(IMAGE_BUILDERS, role, spec)
    return builder(**shapes, **spec)
