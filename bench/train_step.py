"""Training-step speed of a zoo entry's architecture, beside this machine's matmul peak.

    python bench/train_step.py [--name dcgan-anime] [--steps 20] [--batch_size 64]
                               [--precisions float32,mixed_bfloat16]

Prints s/step and images/s for `fit` on random data (no input pipeline cost) for each dtype
policy, their ratio to the first, and the dense float32 matmul GFLOP/s measured in the same run,
so numbers from different machines compare.
"""
import time

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", "dcgan-anime", "zoo entry whose architecture is timed")
flags.DEFINE_integer("steps", 20, "timed steps (after 3 warm-up steps)")
flags.DEFINE_integer("batch_size", 64, "batch size")
flags.DEFINE_list("precisions", ["float32"], "dtype policies to time, e.g. "
                  "float32,mixed_bfloat16 (ratios are printed against the first)")
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


def train_step_flops(model, batch):
    """Floating-point operations of one train_step, counted by the TF profiler on its graph
    (convolutions, matmuls and their gradients; elementwise ops are not counted)."""
    import tensorflow as tf

    spec = tf.nest.map_structure(lambda x: tf.TensorSpec(x.shape, tf.as_dtype(x.dtype)), batch)
    graph = tf.function(model.train_step).get_concrete_function(spec).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def seconds_per_step(name, precision):
    import keras
    import tensorflow as tf

    import ganzoo

    keras.mixed_precision.set_dtype_policy(precision)
    model = ganzoo.build(name, seed=0)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (FLAGS.batch_size,) + model.image_shape).astype(np.float32)
    batch = images if not model.conditional else (
        images, rng.integers(0, model.num_classes, FLAGS.batch_size).astype(np.int32))
    data = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=FLAGS.steps, epochs=1, verbose=0)
    return (time.perf_counter() - start) / FLAGS.steps, train_step_flops(model, batch)


def main(_):
    baseline = None
    peak = matmul_gflops()
    for precision in FLAGS.precisions:
        seconds, flops = seconds_per_step(FLAGS.name, precision)
        baseline = baseline or seconds
        achieved = flops / seconds / 1e9
        print(f"{FLAGS.name} [{precision}]: {seconds:.3f} s/step, "
              f"{FLAGS.batch_size / seconds:.1f} images/s (batch {FLAGS.batch_size}, "
              f"{FLAGS.steps} steps); speed vs {FLAGS.precisions[0]}: {baseline / seconds:.2f}x; "
              f"{flops / 1e9:.1f} GFLOP/step -> {achieved:.1f} GFLOP/s = "
              f"{100 * achieved / peak:.0f}% of the float32 matmul peak")
    print(f"dense float32 matmul 2048^3 in the same run: {peak:.1f} GFLOP/s")


if __name__ == "__main__":
    app.run(main)
