"""Fréchet Inception Distance (Heusel et al. 2017, Eq. 6):

    FID = |mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))

Statistics are accumulated in float64 batch by batch (never all features in memory), and the
trace of the matrix square root is computed stably from symmetric eigendecompositions:
Tr((S_r S_g)^(1/2)) = Tr((A S_g A)^(1/2)) with A = S_r^(1/2), where A S_g A is symmetric
positive semi-definite, so no complex parts or scipy.linalg.sqrtm iterations are involved.
"""
import logging

import numpy as np

log = logging.getLogger("ganzoo")


class FeatureStatistics:
    """Running mean and covariance of feature vectors (float64 sums)."""

    def __init__(self, dim):
        self.dim = int(dim)
        self.count = 0
        self.total = np.zeros(self.dim, np.float64)
        self.outer = np.zeros((self.dim, self.dim), np.float64)

    def update(self, features):
        features = np.asarray(features, np.float64).reshape(-1, self.dim)
        self.count += len(features)
        self.total += features.sum(axis=0)
        self.outer += features.T @ features
        return self

    @property
    def mean(self):
        return self.total / self.count

    @property
    def covariance(self):
        """Unbiased sample covariance (n - 1), as numpy.cov and the reference FID code use."""
        mean = self.mean
        return (self.outer - self.count * np.outer(mean, mean)) / (self.count - 1)

    def save(self, path):
        np.savez(path, mu=self.mean, sigma=self.covariance, count=self.count)

    @staticmethod
    def load(path):
        """(mu, sigma, count) from a file written by `save`."""
        with np.load(path) as data:
            return data["mu"], data["sigma"], int(data["count"])


def _sqrt_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """FID between two Gaussians N(mu1, sigma1) and N(mu2, sigma2), in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"Statistics of different dimensions: {mu1.shape} vs {mu2.shape}.")
    root = _sqrt_psd(sigma1)
    cross = np.linalg.eigvalsh(root @ sigma2 @ root)
    trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2)
                  - 2.0 * trace_sqrt)
    return max(value, 0.0)


def fid_from_statistics(real, fake):
    """FID between two FeatureStatistics; warns when either has fewer samples than dimensions
    (the covariance is then singular and FID is biased upwards)."""
    for name, stats in (("real", real), ("generated", fake)):
        if stats.count < stats.dim:
            log.warning("FID with %d %s samples < %d feature dimensions: the covariance is "
                        "rank-deficient and the value is biased (use >= 10,000 to compare with "
                        "published numbers).", stats.count, name, stats.dim)
    return frechet_distance(real.mean, real.covariance, fake.mean, fake.covariance)
