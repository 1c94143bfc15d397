"""GAN objectives as pure functions of discriminator outputs (logits, never probabilities).

Every function returns a scalar float32 mean over the batch. Writing the cross-entropy terms with
softplus keeps them exact and finite for any logit: -log(sigmoid(l)) = softplus(-l) and
-log(1 - sigmoid(l)) = softplus(l).
"""
from keras import ops


def _f32(x):
    return ops.cast(x, "float32")


def discriminator_cross_entropy(real_logits, fake_logits):
    """Goodfellow et al. 2014, Eq. 1, as a loss for D to minimise:
    -E_x[log D(x)] - E_z[log(1 - D(G(z)))] (the negated value function V(D, G))."""
    return ops.mean(ops.softplus(-_f32(real_logits))) + ops.mean(ops.softplus(_f32(fake_logits)))


def generator_non_saturating(fake_logits):
    """Goodfellow et al. 2014, Section 3 ("-log D trick"): G minimises -E_z[log D(G(z))].
    Same fixed point as the minimax loss but strong gradients early in training (the lecture
    notes' "real implementation")."""
    return ops.mean(ops.softplus(-_f32(fake_logits)))


def generator_minimax(fake_logits):
    """Goodfellow et al. 2014, Eq. 1: G minimises E_z[log(1 - D(G(z)))]. Saturates when D
    rejects the samples confidently ("slow at the beginning" in the lecture notes)."""
    return -ops.mean(ops.softplus(_f32(fake_logits)))
