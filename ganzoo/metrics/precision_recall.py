"""Improved precision and recall (Kynkäänniemi et al. 2019, Eq. 1-3).

Each set's manifold is the union of balls around its feature vectors, each ball reaching the
k-th nearest neighbour (k = 3) within the same set. Precision is the fraction of generated
samples inside the real manifold (fidelity); recall is the fraction of real samples inside the
generated manifold (coverage). Distances are computed in row blocks, so memory stays
O(block * n), never O(n^2).
"""
import numpy as np


def _squared_distances(a, b):
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2.0 * a @ b.T, 0.0)


def kth_neighbour_radii(features, k=3, block=1024):
    """Squared distance from each vector to its k-th nearest other vector in the same set."""
    features = np.asarray(features, np.float64)
    if len(features) <= k:
        raise ValueError(f"Need more than k={k} samples per set, got {len(features)}.")
    radii = np.empty(len(features))
    for start in range(0, len(features), block):
        distances = _squared_distances(features[start:start + block], features)
        # index k, not k-1: the smallest distance is the point to itself (0)
        radii[start:start + block] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _coverage(queries, centres, radii, block=1024):
    """Fraction of queries within at least one centre's ball."""
    inside = 0
    for start in range(0, len(queries), block):
        distances = _squared_distances(queries[start:start + block], centres)
        inside += int((distances <= radii[None]).any(axis=1).sum())
    return inside / len(queries)


def precision_recall(real, fake, k=3):
    """(precision, recall) of generated features `fake` against real features `real`."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    precision = _coverage(fake, real, kth_neighbour_radii(real, k))
    recall = _coverage(real, fake, kth_neighbour_radii(fake, k))
    return precision, recall
