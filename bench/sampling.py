"""Sampler overhead: `model.sample(n)` vs a bare batched `generator(z)` call, same run.

    python bench/sampling.py [--name dcgan-anime] [--num 1024] [--batch_size 256]

Prints images/s for both and the ratio (goal: sample >= 0.9x the bare call). The bare call is
what a user would write by hand: draw z, call the generator on each batch, convert to uint8.
"""
import time

from absl import app, flags

flags.DEFINE_string("name", "dcgan-anime", "zoo entry (pretrained weights if shipped)")
flags.DEFINE_integer("num", 1024, "images per timed run")
flags.DEFINE_integer("batch_size", 256, "batch size for both paths")
flags.DEFINE_integer("repeats", 3, "timed runs per path (best is reported)")
FLAGS = flags.FLAGS


def best_time(fn, repeats):
    fn()  # warm-up: tracing, allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(_):
    import numpy as np

    import ganzoo
    from ganzoo.zoo import WeightsError

    try:
        model = ganzoo.load(FLAGS.name)
    except WeightsError:
        model = ganzoo.build(FLAGS.name)
    generator = model.sampling_generator
    n, batch = FLAGS.num, FLAGS.batch_size

    def bare():
        z = np.random.default_rng(0).standard_normal((n, model.latent_dim), dtype=np.float32)
        out = [np.clip(np.round((generator(z[i:i + batch], training=False).numpy() + 1) * 127.5),
                       0, 255).astype(np.uint8) for i in range(0, n, batch)]
        return np.concatenate(out)

    def sampler():
        return model.sample(n, seed=0, batch_size=batch)

    t_bare = best_time(bare, FLAGS.repeats)
    t_sample = best_time(sampler, FLAGS.repeats)
    print(f"entry {FLAGS.name}, {n} images, batch {batch}, best of {FLAGS.repeats}")
    print(f"bare generator(z) loop : {n / t_bare:8.1f} images/s")
    print(f"model.sample           : {n / t_sample:8.1f} images/s")
    print(f"ratio sample/bare      : {t_bare / t_sample:8.2f}x (goal >= 0.90)")


if __name__ == "__main__":
    app.run(main)
