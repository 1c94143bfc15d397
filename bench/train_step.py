"""Training-step speed of a zoo entry's architecture, beside this machine's matmul peak.

    python bench/train_step.py [--name dcgan-anime] [--steps 20] [--batch_size 64]

Prints s/step and images/s for `fit` on random data (no input pipeline cost), and the dense
float32 matmul GFLOP/s measured in the same run, so numbers from different machines compare.
"""
import time

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", "dcgan-anime", "zoo entry whose architecture is timed")
flags.DEFINE_integer("steps", 20, "timed steps (after 3 warm-up steps)")
flags.DEFINE_integer("batch_size", 64, "batch size")
FLAGS = flags.FLAGS


def matmul_gflops(size=2048, repeats=5):
    import tensorflow as tf

    a = tf.random.normal((size, size))
    mm = tf.function(lambda x: x @ x)
    mm(a).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        mm(a).numpy()
    return repeats * 2 * size**3 / (time.perf_counter() - start) / 1e9


def main(_):
    import tensorflow as tf

    import ganzoo

    model = ganzoo.build(FLAGS.name, seed=0)
    images = np.random.default_rng(0).uniform(
        -1, 1, (FLAGS.batch_size,) + model.image_shape).astype(np.float32)
    data = tf.data.Dataset.from_tensors(images).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=FLAGS.steps, epochs=1, verbose=0)
    seconds = (time.perf_counter() - start) / FLAGS.steps
    print(f"{FLAGS.name}: {seconds:.3f} s/step, {FLAGS.batch_size / seconds:.1f} images/s "
          f"(batch {FLAGS.batch_size}, {FLAGS.steps} steps)")
    print(f"dense float32 matmul 2048^3 in the same run: {matmul_gflops():.1f} GFLOP/s")


if __name__ == "__main__":
    app.run(main)
