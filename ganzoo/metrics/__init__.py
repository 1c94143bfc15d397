"""Sample-quality metrics on the standard FID Inception features: FID, KID, precision/recall.
(`parzen` holds the 2014 Parzen-window log-likelihood, which works on pixels.)

`evaluate(model, real_source)` streams real images (any `ganzoo.data` source) and generated
images through the Inception network in batches and returns a dict with the numbers and the
sample counts they depend on (FID is biased upwards at small n: always report n)."""
import numpy as np


def real_image_batches(source, image_shape, num, batch_size=50, seed=0, data_dir=None,
                       split="train", start=0):
    """Yields uint8 batches of real images `start` to `num` of a seeded shuffle of a
    ganzoo.data source (every image: the last batch may be smaller; fewer than `num` if the
    source holds fewer, which the caller checks).
    Which images are drawn depends on (source, split, seed) only: tf.data would also mix in
    the global TF seed (e.g. set by building a model with a seed), so it is cleared while the
    shuffle is created and restored after."""
    import tensorflow as tf
    from tensorflow.python.eager import context

    from ganzoo.data import image_dataset
    from ganzoo.images import to_uint8

    previous = context.global_seed()
    tf.random.set_seed(None)
    try:
        dataset = image_dataset(source, image_shape, batch_size, seed=seed, with_labels=False,
                                data_dir=data_dir, cache=False, split=split,
                                drop_remainder=False)
    finally:
        tf.random.set_seed(previous)
    seen = 0
    for batch in dataset:
        take = min(len(batch), num - seen)
        if seen + take > start:
            yield np.asarray(to_uint8(batch[max(start - seen, 0):take]))
        seen += take
        if seen >= num:
            return


def generated_image_batches(model, num, batch_size=50, seed=0):
    """Yields uint8 batches of the `num` images `model.sample(num, seed=seed)` returns
    (conditional models: its uniformly drawn labels, `drawn_labels`)."""
    noise = model.latent_noise(num, seed)
    labels = model.drawn_labels(num, seed) if model.conditional else None
    for start in range(0, num, batch_size):
        chunk = slice(start, start + batch_size)
        yield model.generate(noise[chunk], None if labels is None else labels[chunk],
                             batch_size=batch_size)


def collect_features(batches, extract, total, label):
    import keras

    features, bar = [], keras.utils.Progbar(total, unit_name=f"{label} images")
    for batch in batches:
        features.append(extract(batch).numpy().astype(np.float64))
        bar.add(len(batch))
    if not features:
        from ganzoo.metrics.inception import FEATURE_DIM

        return np.zeros((0, FEATURE_DIM))
    return np.concatenate(features)


def real_features(source, image_shape, num, batch_size=50, seed=0, data_dir=None,
                  extract=None, pt_path=None, split="train"):
    """Inception features of `num` real images, computed once and cached (float32 .npz under
    the ganzoo cache dir as <key>-<count>.npz, the key hashing source, size, shape, seed and
    split). The drawn images are a seeded stream, so a cached larger count serves a smaller
    one by its first `num` rows, and a cached smaller count is extended by the images after
    it."""
    import hashlib
    import os

    from ganzoo.metrics.inception import FEATURE_DIM, cache_dir, feature_extractor

    stat = os.stat(source) if os.path.exists(str(source)) else None
    key_parts = (os.path.abspath(str(source)), stat and stat.st_size, tuple(image_shape), seed,
                 split)
    key = hashlib.sha256(repr(key_parts).encode()).hexdigest()[:16]
    folder = cache_dir() / "real_features"
    cached_counts = sorted(int(p.stem.rsplit("-", 1)[1]) for p in folder.glob(f"{key}-*.npz"))
    usable = [count for count in cached_counts if count >= num]
    if usable:
        with np.load(folder / f"{key}-{usable[0]}.npz") as cached:
            return cached["features"][:num].astype(np.float64)
    head = np.zeros((0, FEATURE_DIM))
    if cached_counts:
        with np.load(folder / f"{key}-{cached_counts[-1]}.npz") as cached:
            head = cached["features"].astype(np.float64)
    extract = extract or feature_extractor(pt_path)
    tail = collect_features(real_image_batches(source, image_shape, num, batch_size, seed,
                                               data_dir, split, start=len(head)),
                            extract, num - len(head), "real")
    features = np.concatenate([head, tail])
    # Cached even when the source ran short: the Inception time spent is never thrown away.
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{os.getpid()}.tmp.npz"
    np.savez(tmp, features=features.astype(np.float32), source=str(source))
    os.replace(tmp, folder / f"{key}-{len(features)}.npz")
    if len(features) < num:
        raise ValueError(f"{source} ({split}) has only {len(features)} images; asked for {num} "
                         f"real images. Their features are cached: asking for "
                         f"{len(features)} or fewer costs no more Inception time.")
    return features


def evaluate(model, real_source, num_fake=10_000, num_real=10_000, batch_size=50, seed=0,
             data_dir=None, pt_path=None):
    """FID, KID and precision/recall (k=3) of `model`'s samples against `real_source`;
    returns a JSON-ready dict that records the sample counts."""
    from ganzoo.metrics.fid import FeatureStatistics, fid_from_statistics
    from ganzoo.metrics.inception import FEATURE_DIM, feature_extractor
    from ganzoo.metrics.kid import kernel_inception_distance
    from ganzoo.metrics.precision_recall import precision_recall

    extract = feature_extractor(pt_path)
    real = real_features(real_source, model.image_shape, num_real, batch_size, seed,
                         data_dir, extract=extract)
    fake = collect_features(generated_image_batches(model, num_fake, batch_size, seed),
                            extract, num_fake, "generated")
    fid = fid_from_statistics(FeatureStatistics(FEATURE_DIM).update(real),
                              FeatureStatistics(FEATURE_DIM).update(fake))
    kid_mean, kid_std = kernel_inception_distance(real, fake, subset_size=min(1000, num_real,
                                                                            num_fake))
    precision, recall = precision_recall(real, fake)
    return {"fid": round(fid, 3), "kid": round(kid_mean, 5), "kid_std": round(kid_std, 5),
            "precision": round(precision, 4), "recall": round(recall, 4),
            "n_real": num_real, "n_fake": num_fake, "inception": "FID Inception 2015-12-05",
            "real_source": str(real_source), "seed": seed}


def evaluate_against_reference(model, reference, num_fake=10_000, batch_size=50, seed=0,
                               pt_path=None):
    """FID of `model`'s samples against shipped reference statistics (no dataset needed)."""
    from ganzoo.metrics.fid import FeatureStatistics, frechet_distance
    from ganzoo.metrics.inception import FEATURE_DIM, feature_extractor
    from ganzoo.metrics.reference import load_reference

    mu, sigma, count, config = load_reference(reference)
    if tuple(config["image_shape"]) != tuple(model.image_shape):
        raise ValueError(f"Reference {reference!r} was computed on {config['image_shape']} "
                         f"images; {model.name} makes {list(model.image_shape)}.")
    import keras

    fake = FeatureStatistics(FEATURE_DIM)
    extract = feature_extractor(pt_path)
    bar = keras.utils.Progbar(num_fake, unit_name="generated images")
    for batch in generated_image_batches(model, num_fake, batch_size, seed):
        fake.update(extract(batch).numpy())
        bar.add(len(batch))
    fid = frechet_distance(mu, sigma, fake.mean, fake.covariance)
    return {"fid": round(fid, 3), "n_real": count, "n_fake": num_fake,
            "inception": "FID Inception 2015-12-05", "real_source": f"reference:{reference}",
            "real_vs_real_fid": config["real_vs_real"]["fid"], "seed": seed}


METRICS = ("fid", "kid", "pr", "cls", "parzen")


def evaluate_quality(model, real_source=None, metrics=("fid", "kid", "pr"), num=10_000,
                     num_real=None, evaluator=None, seed=0, data_dir=None, batch_size=50,
                     reference=None):
    """Every requested metric in one JSON-ready dict (what `ganzoo evaluate` prints):
    fid/kid/pr on Inception features against `real_source`; cls with an evaluator classifier
    (`evaluator`, else the zoo entry's); parzen with `real_source` an MNIST-style .npz.
    Without `real_source`, fid alone is computed against shipped reference statistics
    (`ganzoo.metrics.reference`): `reference` names them, else the entry's."""
    metrics = list(dict.fromkeys(metrics))
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown or not metrics:
        raise ValueError(f"Unknown metric(s) {unknown or 'none given'}; choose from "
                         f"{', '.join(METRICS)}.")
    if reference and real_source is not None:
        # Both would be ambiguous: FID would silently use only one of them.
        raise ValueError(f"Give either real data ({real_source!r}) or a reference "
                         f"({reference!r}), not both: with data, FID is computed against "
                         f"those images; without, against the shipped reference statistics.")
    reference = reference or model.reference
    use_reference = real_source is None and reference and "fid" in metrics
    needs_data = [m for m in metrics if m in ("kid", "pr", "parzen")
                  or (m == "fid" and not use_reference)]
    if needs_data and real_source is None:
        hint = (f", or use --metrics fid alone (FID against the shipped {reference!r} "
                f"reference statistics)" if reference else "")
        raise ValueError(f"Metric(s) {', '.join(needs_data)} compare with real images: give "
                         f"the real data (a folder, .zip, .npz or tfds:NAME){hint}.")
    results = {}
    if use_reference:
        results.update(evaluate_against_reference(model, reference, num_fake=num,
                                                  batch_size=batch_size, seed=seed))
    elif {"fid", "kid", "pr"} & set(metrics):
        results.update(evaluate(model, real_source, num_fake=num, num_real=num_real or num,
                                batch_size=batch_size, seed=seed, data_dir=data_dir))
    if "cls" in metrics:
        from ganzoo.metrics.classifier import classifier_scores

        evaluator = evaluator or model.evaluator
        if not evaluator:
            raise ValueError(f"{model.name} names no evaluator classifier; pass one "
                             f"(e.g. evaluator='mnist').")
        results["classifier"] = classifier_scores(model, evaluator, num=num, seed=seed)
    if "parzen" in metrics:
        from ganzoo.metrics.parzen import evaluate_parzen

        results["parzen"] = evaluate_parzen(model, real_source, num_samples=num, seed=seed)
    return results
