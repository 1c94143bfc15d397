"""GAN objectives as pure functions of discriminator outputs (logits, never probabilities).

Every function returns a scalar float32 mean over the batch. Writing the cross-entropy terms with
softplus keeps them exact and finite for any logit: -log(sigmoid(l)) = softplus(-l) and
-log(1 - sigmoid(l)) = softplus(l).
"""
import math

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


# ---------------------------------------------------------------- least squares (LSGAN)
def least_squares_discriminator(real_outputs, fake_outputs, a=-1.0, b=1.0):
    """Mao et al. 2017, Eq. 2: D minimises 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2].
    Defaults a=-1, b=1 are the lecture notes' form; the paper's 0-1 coding is a=0, b=1."""
    real, fake = _f32(real_outputs), _f32(fake_outputs)
    return 0.5 * ops.mean(ops.square(real - b)) + 0.5 * ops.mean(ops.square(fake - a))


def least_squares_generator(fake_outputs, c=0.0):
    """Mao et al. 2017, Eq. 2: G minimises 1/2 E[(D(G(z)) - c)^2] (c=0 in the lecture notes'
    form, c=1 with the paper's 0-1 coding)."""
    return 0.5 * ops.mean(ops.square(_f32(fake_outputs) - c))


# ---------------------------------------------------------------------------- hinge
def hinge_discriminator(real_logits, fake_logits):
    """Lim & Ye 2017 (Geometric GAN, Eq. 9) and Miyato et al. 2018 (SNGAN, Eq. 16): D
    minimises E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return (ops.mean(ops.relu(1.0 - _f32(real_logits)))
            + ops.mean(ops.relu(1.0 + _f32(fake_logits))))


def hinge_generator(fake_logits):
    """Lim & Ye 2017 and Miyato et al. 2018 (Eq. 17): G minimises -E[D(G(z))]."""
    return -ops.mean(_f32(fake_logits))


# ---------------------------------------------------------------------- Wasserstein
def wasserstein_critic(real_outputs, fake_outputs):
    """Arjovsky et al. 2017, Algorithm 1 (and Gulrajani et al. 2017, Eq. 3 without the
    penalty): the critic minimises E[D(G(z))] - E[D(x)]."""
    return ops.mean(_f32(fake_outputs)) - ops.mean(_f32(real_outputs))


def wasserstein_generator(fake_outputs):
    """Arjovsky et al. 2017, Algorithm 1: G minimises -E[D(G(z))]."""
    return -ops.mean(_f32(fake_outputs))


def gradient_penalty(critic, real_images, fake_images, epsilon):
    """Gulrajani et al. 2017, Eq. 3: E[(||grad_x D(x_hat)||_2 - 1)^2] at random interpolates
    x_hat = eps * x + (1 - eps) * G(z), eps ~ U[0, 1] per sample (shape (batch, 1, 1, 1) or
    broadcastable). Multiply by lambda (10 in the paper) in the critic's loss."""
    import tensorflow as tf  # the input gradient needs the TensorFlow backend's tape

    real, fake = _f32(real_images), _f32(fake_images)
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        outputs = _f32(critic(interpolates, training=True))
    gradients = tape.gradient(outputs, interpolates)
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=list(range(1, len(gradients.shape))))
                     + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(discriminator, real_images):
    """Mescheder et al. 2018, Eq. 9 (R1): E_x[||grad_x D(x)||^2] on real data. StyleGAN2
    adds (gamma / 2) * R1 to D's loss, lazily (Karras et al. 2020, Section 3.1). Returns the
    batch mean of the squared gradient norms; the gradient is of the summed logits, so each
    sample's gradient is its own."""
    import tensorflow as tf  # the input gradient needs the TensorFlow backend's tape

    real = _f32(real_images)
    with tf.GradientTape() as tape:
        tape.watch(real)
        logits = ops.sum(_f32(discriminator(real)))
    gradients = tape.gradient(logits, real)
    return ops.mean(ops.sum(ops.square(gradients), axis=list(range(1, len(real.shape)))))


# ---------------------------------------------------------------------------- BEGAN
def autoencoder_l1(images, reconstructions):
    """Berthelot et al. 2017, Eq. 1 (eta = 1): the pixel-wise L1 reconstruction loss
    L(v) = |v - D(v)|, averaged over the batch and the pixels."""
    return ops.mean(ops.abs(_f32(images) - _f32(reconstructions)))


def began_losses(real_loss, fake_loss, k, gamma, lambda_k):
    """Berthelot et al. 2017, Eq. 4 and Section 3.4.1 (lecture notes' BEGAN objective):
    L_D = L(x) - k_t L(G(z)),  L_G = L(G(z)),
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1),
    M_global = L(x) + |gamma L(x) - L(G(z))|  (convergence measure).
    Returns (d_loss, g_loss, next_k, m_global)."""
    real_loss, fake_loss, k = _f32(real_loss), _f32(fake_loss), _f32(k)
    balance = gamma * real_loss - fake_loss
    next_k = ops.clip(k + lambda_k * balance, 0.0, 1.0)
    return real_loss - k * fake_loss, fake_loss, next_k, real_loss + ops.abs(balance)


# ----------------------------------------------------------------------------- f-GAN
# Nowozin et al. 2016, Table 6 (= the lecture notes' conjugate table): for each divergence the
# output activation g_f (maps the critic's raw output v into the domain of f*), the convex
# conjugate f*, and f*(g_f(v)) written in a form that stays finite for every v.
F_DIVERGENCES = {
    "kl": {
        "activation": lambda v: v,
        "conjugate": lambda t: ops.exp(t - 1.0),
        "conjugate_of_activation": lambda v: ops.exp(v - 1.0),
    },
    "reverse_kl": {
        "activation": lambda v: -ops.exp(-v),
        "conjugate": lambda t: -1.0 - ops.log(-t),
        "conjugate_of_activation": lambda v: v - 1.0,
    },
    "pearson_chi2": {
        "activation": lambda v: v,
        "conjugate": lambda t: 0.25 * t * t + t,
        "conjugate_of_activation": lambda v: 0.25 * v * v + v,
    },
    "squared_hellinger": {
        "activation": lambda v: 1.0 - ops.exp(-v),
        "conjugate": lambda t: t / (1.0 - t),
        "conjugate_of_activation": lambda v: ops.exp(v) - 1.0,
    },
    "jensen_shannon": {
        "activation": lambda v: math.log(2.0) - ops.softplus(-v),
        "conjugate": lambda t: -ops.log(2.0 - ops.exp(t)),
        "conjugate_of_activation": lambda v: ops.softplus(v) - math.log(2.0),
    },
    "gan": {
        "activation": lambda v: -ops.softplus(-v),
        "conjugate": lambda t: -ops.log(1.0 - ops.exp(t)),
        "conjugate_of_activation": lambda v: ops.softplus(v),
    },
}


def f_divergence(name):
    """The table row for divergence `name`; unknown names list the known ones."""
    if name not in F_DIVERGENCES:
        raise ValueError(f"Unknown f-divergence {name!r}; choose one of "
                         f"{', '.join(sorted(F_DIVERGENCES))}.")
    return F_DIVERGENCES[name]


def fgan_discriminator(real_outputs, fake_outputs, divergence):
    """Nowozin et al. 2016, Eq. 6: D maximises F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))];
    returned as the loss -F."""
    row = f_divergence(divergence)
    return -(ops.mean(row["activation"](_f32(real_outputs)))
             - ops.mean(row["conjugate_of_activation"](_f32(fake_outputs))))


def fgan_generator(fake_outputs, divergence, alternative=True):
    """Nowozin et al. 2016, Section 3.2: G minimises F, i.e. -E_Q[f*(g_f(V(G(z))))] as a loss
    (`alternative=False`), or with the paper's alternative update (like the -log D trick)
    maximises E_Q[g_f(V(G(z)))] (`alternative=True`, the default)."""
    row = f_divergence(divergence)
    fake = _f32(fake_outputs)
    if alternative:
        return -ops.mean(row["activation"](fake))
    return -ops.mean(row["conjugate_of_activation"](fake))


# --------------------------------------------------------------------------- AC-GAN
def class_cross_entropy(class_logits, labels):
    """-E[log P(C = c | X)] from class logits and int labels (Odena et al. 2017, Eq. 3)."""
    return ops.mean(ops.sparse_categorical_crossentropy(
        ops.cast(labels, "int32"), _f32(class_logits), from_logits=True))


def acgan_discriminator(real_logits, fake_logits, real_class_logits, real_labels,
                        fake_class_logits, fake_labels, fake_class_weight=1.0):
    """Odena et al. 2017, Eq. 2-3: D maximises L_S + L_C with
    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)] and
    L_C = E[log P(C=c | X_real)] + E[log P(C=c | X_fake)]; returned as the loss -(L_S + L_C).
    `fake_class_weight` scales the fake half of L_C (1 = the paper; 0 = D's classifier learns
    from real images only, which rules out G and D agreeing on a permuted labelling of the
    fakes: D could otherwise tell fakes apart and classify them by a different rule)."""
    return (discriminator_cross_entropy(real_logits, fake_logits)
            + class_cross_entropy(real_class_logits, real_labels)
            + fake_class_weight * class_cross_entropy(fake_class_logits, fake_labels))


def acgan_generator(fake_logits, fake_class_logits, fake_labels, non_saturating=True):
    """Odena et al. 2017: G maximises L_C - L_S. As a loss: -L_C(fake) + the G-dependent part
    of L_S, E[log(1 - D(G(z)))] (`non_saturating=False`, the literal form), or with the
    non-saturating -log D(G(z)) in its place (default, as in the authors' code)."""
    adversarial = (generator_non_saturating(fake_logits) if non_saturating
                   else generator_minimax(fake_logits))
    return adversarial + class_cross_entropy(fake_class_logits, fake_labels)


# ------------------------------------------------------------------- image-to-image
def mean_absolute_error(images, targets):
    """E[|x - y|], the L1 distance pix2pix and CycleGAN use (it blurs less than L2)."""
    return ops.mean(ops.abs(_f32(images) - _f32(targets)))


def pix2pix_discriminator(real_logits, fake_logits):
    """Isola et al. 2017, Eq. 1 for D(x, y), divided by 2 "while optimizing D, which slows
    down the rate at which D learns relative to G" (Section 3.3)."""
    return 0.5 * discriminator_cross_entropy(real_logits, fake_logits)


def pix2pix_generator(fake_logits, translated, targets, l1_weight=100.0, gan_weight=1.0):
    """Isola et al. 2017, Eq. 4: G minimises the (non-saturating) cGAN loss
    -E[log D(x, G(x))] + lambda * E[|y - G(x)|_1], lambda = 100 (`gan_weight` 0 is the
    paper's L1-only baseline). Returns (total, cGAN term, L1 term)."""
    gan_term = generator_non_saturating(fake_logits)
    l1_term = mean_absolute_error(translated, targets)
    return gan_weight * gan_term + l1_weight * l1_term, gan_term, l1_term


def cyclegan_discriminator(real_outputs, fake_outputs):
    """Zhu et al. 2017, Section 4 (least-squares GAN loss, objective divided by 2 for D):
    1/2 E[(D(y) - 1)^2] + 1/2 E[D(G(x))^2], the LSGAN loss with 0-1 coding."""
    return least_squares_discriminator(real_outputs, fake_outputs, a=0.0, b=1.0)


def cyclegan_generator(fake_outputs):
    """Zhu et al. 2017, Section 4: G minimises E[(D(G(x)) - 1)^2]."""
    return 2.0 * least_squares_generator(fake_outputs, c=1.0)
