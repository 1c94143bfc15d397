"""Gaussian Parzen-window log-likelihood, the protocol of Goodfellow et al. 2014 (Table 1,
after Breuleux et al. 2011): fit isotropic Gaussians of width sigma centred on generated
samples, choose sigma by the mean log-likelihood of a validation set, and report the mean
log-likelihood of the test set with its standard error. Pixels are in [0, 1].

    log p(x) = logsumexp_i(-|x - s_i|^2 / (2 sigma^2)) - log n - d/2 log(2 pi sigma^2)
"""
import numpy as np


def _logsumexp(values, axis):
    peak = values.max(axis=axis, keepdims=True)
    return (peak + np.log(np.exp(values - peak).sum(axis=axis, keepdims=True))).squeeze(axis)


def parzen_log_likelihoods(samples, data, sigma, block=256):
    """log p(x) under the Parzen window on `samples`, for every row x of `data`."""
    samples = np.asarray(samples, np.float64).reshape(len(samples), -1)
    data = np.asarray(data, np.float64).reshape(len(data), -1)
    n, d = samples.shape
    norm = np.log(n) + 0.5 * d * np.log(2 * np.pi * sigma**2)
    sample_norms = (samples * samples).sum(1)
    out = np.empty(len(data))
    for start in range(0, len(data), block):
        rows = data[start:start + block]
        squared = (rows * rows).sum(1)[:, None] + sample_norms[None] - 2 * rows @ samples.T
        out[start:start + block] = _logsumexp(-np.maximum(squared, 0) / (2 * sigma**2), 1) - norm
    return out


def choose_sigma(samples, validation, sigmas=None):
    """The sigma (from a log-spaced grid, as in the 2014 code) with the best validation
    mean log-likelihood; returns (sigma, {sigma: mean LL})."""
    sigmas = np.logspace(-1, 0, 10) if sigmas is None else np.asarray(sigmas)
    scores = {float(s): float(parzen_log_likelihoods(samples, validation, s).mean())
              for s in sigmas}
    return max(scores, key=scores.get), scores


def parzen_score(samples, validation, test, sigmas=None):
    """(mean test log-likelihood, its standard error, chosen sigma)."""
    sigma, _ = choose_sigma(samples, validation, sigmas)
    values = parzen_log_likelihoods(samples, test, sigma)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))), sigma


def evaluate_parzen(model, npz_path, num_samples=10_000, validation_split="train[50000:]",
                    test_split="test", seed=0, sigmas=None):
    """The 2014 protocol on an MNIST-style .npz: `num_samples` generated images as centres,
    sigma chosen on the validation split, mean log-likelihood +- standard error on the test
    split, pixels scaled to [0, 1]. Returns a JSON-ready dict."""
    from ganzoo.data import npz_arrays

    validation, _ = npz_arrays(npz_path, validation_split)
    test, _ = npz_arrays(npz_path, test_split)
    if validation.shape[1:] != model.image_shape or test.shape[1:] != model.image_shape:
        raise ValueError(f"Parzen needs data of the model's shape {model.image_shape}; "
                         f"{npz_path} gives {validation.shape[1:]} (validation) and "
                         f"{test.shape[1:]} (test).")
    samples = model.sample(num_samples, seed=seed)
    mean, stderr, sigma = parzen_score(samples / 255.0, validation / 255.0, test / 255.0,
                                       sigmas)
    return {"log_likelihood": round(mean, 2), "standard_error": round(stderr, 2),
            "sigma": round(sigma, 4), "n_samples": num_samples,
            "n_validation": len(validation), "n_test": len(test),
            "validation_split": validation_split, "test_split": test_split}
