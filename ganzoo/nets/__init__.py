"""Network builders. Each builder takes plain config values and returns a built keras.Model.

`build_network(spec, ...)` dispatches on `spec["type"]`, so zoo configs stay data, not code.
"""
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator

BUILDERS = {
    "dcgan": {"generator": dcgan_generator, "discriminator": dcgan_discriminator},
}


def build_network(role, spec, *, latent_dim, image_shape):
    """Builds the `role` ("generator" or "discriminator") network described by `spec`."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in BUILDERS:
        raise ValueError(
            f"Unknown network type {kind!r} for the {role}; known types: {sorted(BUILDERS)}."
        )
    builder = BUILDERS[kind][role]
    if role == "generator":
        return builder(latent_dim=latent_dim, image_shape=image_shape, **spec)
    return builder(image_shape=image_shape, **spec)
