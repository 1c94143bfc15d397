"""Network builders. Each builder takes plain config values and returns a built keras.Model.

`build_network(spec, ...)` dispatches on `spec["type"]`, so zoo configs stay data, not code.
"""
from ganzoo.nets.autoencoder import began_autoencoder
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator
from ganzoo.nets.mlp import mlp_discriminator, mlp_generator

BUILDERS = {
    "dcgan": {"generator": dcgan_generator, "discriminator": dcgan_discriminator},
    "mlp": {"generator": mlp_generator, "discriminator": mlp_discriminator},
    "autoencoder": {"discriminator": began_autoencoder},
}


def build_network(role, spec, *, latent_dim, image_shape):
    """Builds the `role` ("generator" or "discriminator") network described by `spec`."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in BUILDERS:
        raise ValueError(
            f"Unknown network type {kind!r} for the {role}; known types: {sorted(BUILDERS)}."
        )
    if role not in BUILDERS[kind]:
        raise ValueError(f"Network type {kind!r} has no {role}; it provides "
                         f"{sorted(BUILDERS[kind])}.")
    builder = BUILDERS[kind][role]
    if role == "generator":
        return builder(latent_dim=latent_dim, image_shape=image_shape, **spec)
    return builder(image_shape=image_shape, **spec)
