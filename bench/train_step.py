"""Training-step speed of a zoo entry's architecture, beside this machine's peaks.

    python bench/train_step.py [--name dcgan-anime] [--steps 20] [--batch_size 64]
                               [--precisions float32,mixed_bfloat16] [--base_filters 32,64]
                               [--recipe zoo_configs/recipes/FILE.json]

Prints s/step and images/s for `fit` on random data (no input pipeline cost) for each dtype
policy (and, with --base_filters, each network width), their ratio to the first, and the
share of the peak measured in the same run for that precision: a 4x4 stride-2 convolution
(the DCGAN layer) in float32 and bfloat16, and the dense float32 matmul, so numbers from
different machines compare. Image-to-image entries are timed on random (A, B) pairs.
"""
import time

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", "dcgan-anime", "zoo entry whose architecture is timed")
flags.DEFINE_integer("steps", 20, "timed steps (after 3 warm-up steps)")
flags.DEFINE_integer("batch_size", 64, "batch size")
flags.DEFINE_list("precisions", ["float32"], "dtype policies to time, e.g. "
                  "float32,mixed_bfloat16 (ratios are printed against the first)")
flags.DEFINE_list("base_filters", [], "network widths to time (sets both networks' "
                  "base_filters; default: the entry's)")
flags.DEFINE_string("recipe", None, "a --recipe JSON file of config fields applied to the "
                    "entry before timing (e.g. other network stacks)")
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


def conv_gflops(dtype, repeats=10):
    """A DCGAN-sized 4x4 stride-2 convolution (batch 64, 32x32x128 -> 16x16x256): the peak
    the train step's convolutions can reach in `dtype`."""
    import tensorflow as tf

    x = tf.cast(tf.random.normal((64, 32, 32, 128)), dtype)
    kernel = tf.cast(tf.random.normal((4, 4, 128, 256)), dtype)
    conv = tf.function(lambda a: tf.nn.conv2d(a, kernel, 2, "SAME"))
    conv(x).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        conv(x).numpy()
    flops = 2 * 64 * 16 * 16 * 256 * 4 * 4 * 128
    return repeats * flops / (time.perf_counter() - start) / 1e9


def train_step_flops(model, batch):
    """Floating-point operations of one train_step, counted by the TF profiler on its graph
    (convolutions, matmuls and their gradients; elementwise ops are not counted)."""
    import tensorflow as tf

    spec = tf.nest.map_structure(lambda x: tf.TensorSpec(x.shape, tf.as_dtype(x.dtype)), batch)
    graph = tf.function(model.train_step).get_concrete_function(spec).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def random_batch(model, rng):
    def images(shape):
        return rng.uniform(-1, 1, (FLAGS.batch_size,) + tuple(shape)).astype(np.float32)

    if model.translates_images:  # image-to-image: (A, B) pairs
        return images(model.source_shape), images(model.image_shape)
    if model.conditional:
        return (images(model.image_shape),
                rng.integers(0, model.num_classes, FLAGS.batch_size).astype(np.int32))
    return images(model.image_shape)


def seconds_per_step(name, precision, base_filters=None):
    import keras
    import tensorflow as tf

    import ganzoo

    keras.mixed_precision.set_dtype_policy(precision)
    config = ganzoo.get_config(name)
    if FLAGS.recipe:
        from ganzoo import registry

        config = registry.validate_config({**config, **registry.read_json(FLAGS.recipe)})
    if base_filters:
        for role in ("generator", "discriminator"):
            config[role] = {**config[role], "base_filters": int(base_filters)}
    model = ganzoo.build(config, seed=0)
    batch = random_batch(model, np.random.default_rng(0))
    data = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=FLAGS.steps, epochs=1, verbose=0)
    return (time.perf_counter() - start) / FLAGS.steps, train_step_flops(model, batch)


def main(_):
    baseline = None
    peak = matmul_gflops()
    conv_peaks = {"float32": conv_gflops("float32"), "bfloat16": conv_gflops("bfloat16")}
    for width in FLAGS.base_filters or [None]:
        for precision in FLAGS.precisions:
            seconds, flops = seconds_per_step(FLAGS.name, precision, width)
            baseline = baseline or seconds
            achieved = flops / seconds / 1e9
            compute = "bfloat16" if "bfloat16" in precision else "float32"
            label = f"{FLAGS.name}{' + ' + FLAGS.recipe if FLAGS.recipe else ''} [{precision}" + (f", base_filters {width}]" if width else "]")
            print(f"{label}: {seconds:.3f} s/step, {FLAGS.batch_size / seconds:.1f} images/s "
                  f"(batch {FLAGS.batch_size}, {FLAGS.steps} steps); speed vs the first row: "
                  f"{baseline / seconds:.2f}x; {flops / 1e9:.1f} GFLOP/step -> "
                  f"{achieved:.1f} GFLOP/s = {100 * achieved / conv_peaks[compute]:.0f}% of "
                  f"the {compute} conv peak, {100 * achieved / peak:.0f}% of the float32 "
                  f"matmul peak")
    print(f"peaks in the same run: 4x4 stride-2 conv float32 {conv_peaks['float32']:.1f}, "
          f"bfloat16 {conv_peaks['bfloat16']:.1f} GFLOP/s; dense float32 matmul 2048^3 "
          f"{peak:.1f} GFLOP/s")
    from ganzoo import distribute

    native = distribute.cpu_has_native_bfloat16()
    print(f"native bfloat16 (AVX512_BF16 or AMX-BF16): "
          f"{'unknown' if native is None else 'yes' if native else 'no, emulated'}; "
          f"--precision auto picks {distribute.auto_precision()}")


if __name__ == "__main__":
    app.run(main)
