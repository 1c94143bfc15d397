"""Kernel Inception Distance (Bińkowski et al. 2018, Eq. 4 and Section 4): the unbiased MMD²
estimate with the cubic polynomial kernel k(x, y) = (x·y / d + 1)^3, averaged over random
subsets; reported as mean and standard deviation over the subsets. Unlike FID it is unbiased,
so it is meaningful with a few thousand samples."""
import numpy as np


def polynomial_mmd2(x, y):
    """Unbiased MMD² between feature sets x (m, d) and y (n, d) with the cubic kernel."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    d = x.shape[1]
    k_xx = (x @ x.T / d + 1) ** 3
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
            + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1)) - 2 * k_xy.mean())


def kernel_inception_distance(real, fake, subset_size=1000, num_subsets=100, seed=0):
    """(mean, std) of the unbiased MMD² over `num_subsets` random subsets of both sets."""
    real, fake = np.asarray(real), np.asarray(fake)
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples in each set, got {len(real)} real "
                         f"and {len(fake)} generated.")
    rng = np.random.default_rng(seed)
    values = [polynomial_mmd2(real[rng.choice(len(real), size, replace=False)],
                              fake[rng.choice(len(fake), size, replace=False)])
              for _ in range(num_subsets)]
    return float(np.mean(values)), float(np.std(values))
