"""FID Inception feature throughput on this machine (images/s), batch sizes compared.

    python bench/inception_throughput.py [--num 128]
"""
import time

import numpy as np
from absl import app, flags

flags.DEFINE_integer("num", 128, "images per timed batch size")
flags.DEFINE_list("batch_sizes", ["16", "50"], "batch sizes to time")
FLAGS = flags.FLAGS


def main(_):
    from ganzoo.metrics.inception import feature_extractor

    extract = feature_extractor()
    images = np.random.default_rng(0).integers(0, 256, (FLAGS.num, 64, 64, 3), np.uint8)
    for batch in map(int, FLAGS.batch_sizes):
        extract(images[:batch])  # trace
        start = time.perf_counter()
        for i in range(0, FLAGS.num, batch):
            extract(images[i:i + batch]).numpy()
        rate = FLAGS.num / (time.perf_counter() - start)
        print(f"batch {batch:4d}: {rate:6.1f} images/s (64x64 inputs resized to 299x299)")


if __name__ == "__main__":
    app.run(main)
