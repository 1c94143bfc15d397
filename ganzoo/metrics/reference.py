"""Shipped FID reference statistics: the real set's Inception mean and covariance, so
`ganzoo evaluate NAME --metrics fid` needs no dataset and reproduces the zoo table exactly.

`pretrained/reference/<name>.fid-stats.npz` holds mu (float64) and sigma (float32: 16 MB instead of 32,
and rounding it moves FID by < 1e-3) of `n` real training images; `<name>.json` beside it
records where they came from, their SHA-256, and the real-vs-real floor: the FID/KID between
those n images and n *other* real images from the same split. FID is biased upwards at small n,
so a model's FID at the same n is best read against that floor (a perfect generator would score
about the floor, not 0).

Build one with:  python -m ganzoo.metrics.reference NAME DATA --shape H,W,C --num N
(it embeds 2N real images: the first N are the reference, the last N the floor's other half),
or, for a reference of a whole dataset (e.g. all 33,399 anime faces, the set a 10k-sample FID
is quoted against), with --floor halves: the N images are the reference and the floor is the
FID between their two disjoint halves (N/2 vs N/2).
"""
import json
import os

import numpy as np

from ganzoo.files import atomic_write_text, sha256_of
from ganzoo.registry import shipped_folder, shipped_json, shipped_names, verified_shipped_file

REFERENCE_DIR = "reference"


class ReferenceStatisticsError(FileNotFoundError):
    """Reference statistics are unknown, missing or do not match their recorded SHA-256."""


def _reference_dir():
    return shipped_folder(REFERENCE_DIR)


def list_references():
    return shipped_names(REFERENCE_DIR)


def reference_config(name):
    return shipped_json(REFERENCE_DIR, name, ReferenceStatisticsError, "FID reference statistics")


def load_reference(name):
    """(mu, sigma, count, config) of a shipped reference, its file checked against the
    recorded SHA-256."""
    config = reference_config(name)
    path = verified_shipped_file(REFERENCE_DIR, config["file"], config["sha256"],
                                 ReferenceStatisticsError, "Reference statistics")
    with np.load(path) as data:
        return (data["mu"].astype(np.float64), data["sigma"].astype(np.float64),
                int(data["count"]), config)


FLOORS = ("next", "halves")


def build_reference(name, source, image_shape, num, *, split="train", seed=0, data_dir=None,
                    batch_size=50, description=None, pt_path=None, floor="next"):
    """Writes the Inception statistics of `num` real images of `source` as
    pretrained/reference/<name>.fid-stats.npz + .json (temp file + rename), with a real-vs-real
    floor: floor="next" embeds 2*num images and compares the first num with the last num;
    floor="halves" embeds num images and compares their two disjoint halves (for a
    reference that is a whole dataset). Returns the JSON dict."""
    from ganzoo.metrics import real_features
    from ganzoo.metrics.fid import FeatureStatistics, fid_from_statistics
    from ganzoo.metrics.inception import FEATURE_DIM
    from ganzoo.metrics.kid import kernel_inception_distance
    from ganzoo.metrics.precision_recall import precision_recall

    if floor not in FLOORS:
        raise ValueError(f"floor must be one of {FLOORS}, got {floor!r}.")
    # halves: the shipped statistics are of all num images, the floor splits them in two;
    # next: the first num are shipped, the floor compares them with the num after them.
    whole = floor == "halves"
    features = real_features(source, image_shape, num if whole else 2 * num, batch_size, seed,
                             data_dir, pt_path=pt_path, split=split)
    split_at = num // 2 if whole else num
    reference, other = features[:split_at], features[split_at:]
    stats = FeatureStatistics(FEATURE_DIM).update(features if whole else reference)
    reference_stats = FeatureStatistics(FEATURE_DIM).update(reference) if whole else stats
    other_text = (f"two disjoint halves of the {num} images ({len(reference)} vs {len(other)})"
                  if whole else f"the next {num} images of the same seeded shuffle")
    folder = _reference_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.fid-stats.npz"  # statistics, not images: named apart from data
    tmp = folder / f".{os.getpid()}.tmp.npz"
    np.savez_compressed(tmp, mu=stats.mean, sigma=stats.covariance.astype(np.float32),
                        count=stats.count)
    os.replace(tmp, target)
    fid = fid_from_statistics(reference_stats, FeatureStatistics(FEATURE_DIM).update(other))
    kid, kid_std = kernel_inception_distance(reference, other,
                                             subset_size=min(1000, len(reference)))
    precision, recall = precision_recall(reference, other)
    config = {
        "name": name, "image_shape": list(image_shape),
        "data": description or os.path.basename(str(source)), "split": split, "seed": seed,
        "n": num, "inception": "FID Inception 2015-12-05",
        "real_vs_real": {"fid": round(fid, 3), "kid": round(kid, 5),
                         "kid_std": round(kid_std, 5), "precision": round(precision, 4),
                         "recall": round(recall, 4), "n_real": len(reference),
                         "n_other_real": len(other), "other": other_text},
        "command": f"python -m ganzoo.metrics.reference {name} DATA --shape "
                   f"{','.join(map(str, image_shape))} --num {num} --split {split}"
                   + (" --floor halves" if whole else ""),
        "file": target.name, "sha256": sha256_of(target),
    }
    atomic_write_text(folder / f"{name}.json", json.dumps(config, indent=2) + "\n")
    return config


def measure_split_floor(name, source, split, num, *, seed=0, data_dir=None, batch_size=50,
                        pt_path=None):
    """FID between the shipped reference (training images) and `num` images of another split
    of the same data (e.g. MNIST train vs test), recorded in <name>.json under
    "vs_split": the floor for a generator that matched the training distribution exactly but
    is scored against held-out images. Returns that record."""
    from ganzoo.metrics import real_features
    from ganzoo.metrics.fid import FeatureStatistics, frechet_distance
    from ganzoo.metrics.inception import FEATURE_DIM

    mu, sigma, count, config = load_reference(name)
    features = real_features(source, tuple(config["image_shape"]), num, batch_size, seed,
                             data_dir, pt_path=pt_path, split=split)
    other = FeatureStatistics(FEATURE_DIM).update(features)
    fid = frechet_distance(mu, sigma, other.mean, other.covariance)
    config.setdefault("vs_split", {})[split] = {
        "fid": round(fid, 3), "n_real": count, "n_other_real": num,
        "command": f"python -m ganzoo.metrics.reference {name} DATA --versus_split {split} "
                   f"--num {num}"}
    atomic_write_text(_reference_dir() / f"{name}.json", json.dumps(config, indent=2) + "\n")
    return config["vs_split"][split]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Compute and ship FID reference statistics.")
    parser.add_argument("name", help="reference name, e.g. mnist (a zoo config's 'reference')")
    parser.add_argument("data", help="real images: folder, .zip, .npz or tfds:NAME")
    parser.add_argument("--shape", help="H,W,C the models generate (to build a reference)")
    parser.add_argument("--versus_split", help="instead of building: FID of the shipped "
                        "reference vs --num images of this split (e.g. test), recorded")
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--split", default="train")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--floor", choices=FLOORS, default="next",
                        help="next: floor vs the next N images (embeds 2N); halves: the "
                        "reference is N images, the floor is between its two halves")
    parser.add_argument("--description")
    args = parser.parse_args()
    if args.versus_split:
        print(json.dumps(measure_split_floor(args.name, args.data, args.versus_split, args.num,
                                             seed=args.seed), indent=2))
        raise SystemExit(0)
    if not args.shape:
        parser.error("--shape is required to build a reference")
    shape = tuple(int(v) for v in args.shape.split(","))
    print(json.dumps(build_reference(args.name, args.data, shape, args.num, split=args.split,
                                     seed=args.seed, description=args.description,
                                     floor=args.floor), indent=2))
