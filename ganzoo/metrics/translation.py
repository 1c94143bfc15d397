"""Scores of image-to-image models on held-out data (the entry's `data.test_split`).

- `l1` (paired models): mean |G(a) - b| per pixel in [0, 1] units over the held-out pairs,
  beside the "mean face" baseline (the per-pixel mean of the training targets);
- `fid` (paired models): FID of the translations against the held-out real targets (the
  same FID Inception as `ganzoo.metrics`; n = the held-out count);
- `cls` (two-way models with an evaluator): the share of a->b translations the evaluator
  classifies as domain b, and of b->a as domain a (the real held-out images' accuracy is
  reported beside it as the classifier's own ceiling);
- `cycle` (two-way models): reconstruction L1, mean |F(G(a)) - a| and |G(F(b)) - b|.
"""
import numpy as np

from ganzoo.images import to_uint8

TRANSLATION_METRICS = ("l1", "fid", "cls", "cycle")


def held_out_images(config, source, split=None, data_dir=None, labels=None, limit=None):
    """(A images, B images) uint8 of the held-out split (all of it, or the first `limit`).
    Unpaired domains are read separately, so each keeps all its held-out images."""
    from ganzoo import pairs

    split = split or config["data"].get("test_split")
    if not split:
        raise ValueError(f"{config['name']} names no held-out split (data.test_split).")
    dataset = pairs.translation_dataset(config, source, 1, split=split, shuffle=False,
                                        repeat=False, data_dir=data_dir, labels=labels,
                                        cache=False, zip_domains=False)
    if isinstance(dataset, tuple):  # unpaired: one dataset per domain
        return tuple(_uint8_images(part.map(lambda x: (to_uint8(x[0]),)), limit)[0]
                     for part in dataset)
    return _uint8_images(dataset.map(lambda x, y: (to_uint8(x[0]), to_uint8(y[0]))), limit)


def _uint8_images(dataset, limit):
    """A dataset of tuples of uint8 images -> a tuple of arrays (the first `limit` of each),
    in one pass."""
    chunks, count = [], 0
    for batch in dataset.batch(256):
        chunks.append([x.numpy() for x in batch])
        count += len(chunks[-1][0])
        if limit and count >= limit:
            break
    return tuple(np.concatenate(parts)[:limit] for parts in zip(*chunks))


def _l1(x, y):
    return float(np.mean(np.abs(x.astype(np.float32) - y.astype(np.float32))) / 255.0)


def mean_target(config, source, data_dir=None, limit=5000):
    """Per-pixel mean of (up to `limit`) training-split targets: the 'mean face' baseline."""
    from ganzoo import pairs

    dataset = pairs.translation_dataset(config, source, 1, shuffle=False, repeat=False,
                                        data_dir=data_dir, cache=False)
    total, count = 0.0, 0
    for targets in dataset.map(lambda _, y: y[0]).batch(100):
        total = total + ((targets.numpy() + 1) * 127.5).sum(0)
        count += len(targets)
        if count >= limit:
            break
    return total / count


def evaluate_translation(model, config, source, metrics=None, *, num=None, evaluator=None,
                         data_dir=None, labels=None, batch_size=50):
    """The requested translation metrics (default: l1 and fid for one-way models, cls and
    cycle for two-way ones) as a JSON-ready dict with the counts they rest on."""
    two_way = len(model.directions) == 2
    metrics = list(metrics or (("cls", "cycle") if two_way else ("l1", "fid")))
    unknown = sorted(set(metrics) - set(TRANSLATION_METRICS))
    if unknown:
        raise ValueError(f"Unknown metric(s) {unknown} for an image-to-image model; choose "
                         f"from {', '.join(TRANSLATION_METRICS)}.")
    a, b = held_out_images(config, source, data_dir=data_dir, labels=labels, limit=num)
    results = {"held_out_split": config["data"].get("test_split"), "n_a": len(a), "n_b": len(b)}
    translated = model.translate(a, "a2b")
    if "l1" in metrics:
        mean = mean_target(config, source, data_dir)
        mean_face = np.broadcast_to(np.clip(np.round(mean), 0, 255).astype(np.uint8), b.shape)
        results["l1"] = {"model": round(_l1(translated, b), 4),
                         "mean_target_baseline": round(_l1(mean_face, b), 4),
                         "units": "mean absolute error per pixel and channel, [0, 1] scale"}
    if "fid" in metrics:
        from ganzoo.metrics import collect_features
        from ganzoo.metrics.fid import FeatureStatistics, fid_from_statistics
        from ganzoo.metrics.inception import FEATURE_DIM, feature_extractor

        extract = feature_extractor()
        chunks = lambda x: (x[i:i + batch_size] for i in range(0, len(x), batch_size))  # noqa: E731
        real = collect_features(chunks(b), extract, len(b), "held-out real")
        fake = collect_features(chunks(translated), extract, len(translated), "translated")
        results["fid"] = {"fid": round(fid_from_statistics(
            FeatureStatistics(FEATURE_DIM).update(real),
            FeatureStatistics(FEATURE_DIM).update(fake)), 3),
            "n_real": len(b), "n_fake": len(translated),
            "inception": "FID Inception 2015-12-05"}
    back = model.translate(b, "b2a") if two_way else None
    if "cls" in metrics:
        if not two_way:
            raise ValueError("cls scores two-way (domain) models; use l1/fid for pix2pix.")
        from ganzoo.metrics.classifier import load_evaluator, predict_classes

        evaluator = evaluator or model.evaluator
        if not evaluator:
            raise ValueError(f"{model.name} names no evaluator classifier; pass one.")
        network, ev_config = (load_evaluator(evaluator) if isinstance(evaluator, str)
                              else evaluator)
        names = ev_config["class_names"]
        missing = [d for d in model.domain_names if d not in names]
        if missing:
            raise ValueError(f"Evaluator {ev_config['name']!r} has no class {missing}; its "
                             f"classes are {names}.")
        index_a, index_b = (names.index(d) for d in model.domain_names)
        share = lambda images, k: round(float(np.mean(predict_classes(network, images) == k)), 4)  # noqa: E731
        results["classifier"] = {
            "evaluator": ev_config["name"],
            "a2b_classified_as_b": share(translated, index_b),
            "b2a_classified_as_a": share(back, index_a),
            "real_a_classified_as_a": share(a, index_a),
            "real_b_classified_as_b": share(b, index_b)}
    if "cycle" in metrics:
        if not two_way:
            raise ValueError("cycle needs a two-way model.")
        results["cycle_l1"] = {"a2b2a": round(_l1(model.translate(translated, "b2a"), a), 4),
                               "b2a2b": round(_l1(model.translate(back, "a2b"), b), 4)}
    return results
