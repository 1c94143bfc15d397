"""Does a generator copy its training set? Nearest neighbours in Inception feature space.

Each generated sample's distance to its nearest training image is compared with the same
distance for real images the comparison set does not contain (held-out faces). A generator
that reproduces training images puts many samples much closer to the training set than
held-out real images ever are; one that generalises has a sample distribution at or above the
held-out one. The report gives both distributions' quantiles, the share of samples closer than
the held-out distribution's 1st and 5th percentiles, and the pairs for a figure.

    report = memorization_report(model, "../shared/data/anime_faces_64.zip")
"""
import numpy as np

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95)


def nearest_neighbours(queries, references, chunk=512):
    """(distances, indices): the Euclidean distance from each row of `queries` to its
    nearest row of `references`, and that row's index, computed in chunks
    (||q - r||^2 = ||q||^2 - 2 q.r + ||r||^2, in float64)."""
    queries = np.asarray(queries, np.float64)
    references = np.asarray(references, np.float64)
    if queries.ndim != 2 or references.ndim != 2 or queries.shape[1] != references.shape[1]:
        raise ValueError(f"queries and references must be (n, d) with the same d, got "
                         f"{queries.shape} and {references.shape}.")
    if not len(references):
        raise ValueError("references is empty: nothing to find neighbours in.")
    reference_norms = np.sum(references ** 2, axis=1)
    distances, indices = np.empty(len(queries)), np.empty(len(queries), np.int64)
    for start in range(0, len(queries), chunk):
        block = queries[start:start + chunk]
        squared = (np.sum(block ** 2, axis=1)[:, None] - 2 * block @ references.T
                   + reference_norms[None, :])
        nearest = np.argmin(squared, axis=1)
        indices[start:start + chunk] = nearest
        distances[start:start + chunk] = np.sqrt(np.maximum(
            squared[np.arange(len(block)), nearest], 0.0))
    return distances, indices


def compare_distributions(sample_distances, held_out_distances):
    """Quantiles of both nearest-neighbour distance distributions and how many samples sit
    closer to the training set than nearly all held-out real images do."""
    sample_distances = np.asarray(sample_distances, np.float64)
    held_out_distances = np.asarray(held_out_distances, np.float64)
    held_1, held_5 = np.quantile(held_out_distances, [0.01, 0.05])
    return {
        "samples": {f"q{int(q * 100):02d}": float(np.quantile(sample_distances, q))
                    for q in QUANTILES},
        "held_out": {f"q{int(q * 100):02d}": float(np.quantile(held_out_distances, q))
                     for q in QUANTILES},
        "median_ratio": float(np.median(sample_distances) / np.median(held_out_distances)),
        "samples_below_held_out_q01": float(np.mean(sample_distances < held_1)),
        "samples_below_held_out_q05": float(np.mean(sample_distances < held_5)),
        "n_samples": int(len(sample_distances)), "n_held_out": int(len(held_out_distances)),
    }


def memorization_report(model, source, num_samples=2000, num_held_out=2000,
                        train_split="train[:90%]", held_out_split="train[90%:]",
                        num_train=None, seed=0, extract=None, pairs=32):
    """Nearest-neighbour distances (Inception pool features) of `num_samples` samples and of
    `num_held_out` real images of `held_out_split` to the `train_split` images (all of them,
    or the first `num_train` of their seeded shuffle). Returns (report dict, sample images,
    their nearest training images) with `pairs` of each for a figure."""
    from ganzoo.metrics import (collect_features, generated_image_batches, real_features,
                                real_image_batches)
    from ganzoo.metrics.inception import feature_extractor

    extract = extract or feature_extractor()
    shape = model.image_shape
    if num_train is None:
        num_train = sum(len(batch) for batch in real_image_batches(
            source, shape, 10 ** 9, split=train_split, seed=seed))
    train = real_features(source, shape, num_train, seed=seed, extract=extract,
                          split=train_split)
    held_out = real_features(source, shape, num_held_out, seed=seed, extract=extract,
                             split=held_out_split)
    samples = collect_features(generated_image_batches(model, num_samples, seed=seed),
                               extract, num_samples, "generated")
    sample_distances, sample_indices = nearest_neighbours(samples, train)
    held_out_distances, _ = nearest_neighbours(held_out, train)
    report = compare_distributions(sample_distances, held_out_distances)
    report.update(train_split=train_split, held_out_split=held_out_split,
                  n_train=int(len(train)), features="FID Inception 2015-12-05 pool3", seed=seed)
    sample_images = model.generate(model.latent_noise(num_samples, seed)[:pairs])
    wanted = {int(i): None for i in sample_indices[:pairs]}
    seen = 0
    for batch in real_image_batches(source, shape, max(wanted) + 1, split=train_split,
                                    seed=seed):
        for offset, image in enumerate(batch):
            if seen + offset in wanted:
                wanted[seen + offset] = image
        seen += len(batch)
    nearest_images = np.stack([wanted[int(i)] for i in sample_indices[:pairs]])
    return report, sample_images, nearest_images
