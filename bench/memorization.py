"""Memorisation check of a zoo entry or run: nearest training faces of its samples in
Inception feature space, against the same distance for held-out real faces.

    python bench/memorization.py --name sngan-anime --data ../shared/data/anime_faces_64.zip \\
        [--run RUN_DIR] [--num 2000] [--num_held_out 2000] --out_json nn.json \\
        --out_png docs/images/sngan-anime-nearest.png

The reference set is the first 90% of the data's files (all of them: ~30k Inception passes,
cached after the first run), the held-out faces are the last 10%. The PNG shows 32 samples
(odd rows) above their nearest reference faces (even rows).
"""
import json
import os

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", "sngan-anime", "zoo entry")
flags.DEFINE_string("run", None, "a ganzoo train run directory instead of the shipped weights")
flags.DEFINE_string("data", "../shared/data/anime_faces_64.zip", "the training data")
flags.DEFINE_integer("num", 2000, "generated samples")
flags.DEFINE_integer("num_held_out", 2000, "held-out real images")
flags.DEFINE_integer("num_train", None, "reference faces: the first N of the 90% split's "
                     "seeded shuffle (default: all of them)")
flags.DEFINE_integer("seed", 0, "noise seed")
flags.DEFINE_string("out_json", None, "write the report here")
flags.DEFINE_string("out_png", None, "write the 32 sample / nearest-face pairs here")
FLAGS = flags.FLAGS


def main(_):
    from ganzoo.cli import model_for_sampling
    from ganzoo.images import save_grid
    from ganzoo.metrics.memorization import memorization_report

    model = model_for_sampling(FLAGS.name, FLAGS.run)
    report, samples, nearest = memorization_report(
        model, FLAGS.data, num_samples=FLAGS.num, num_held_out=FLAGS.num_held_out,
        num_train=FLAGS.num_train, seed=FLAGS.seed, pairs=32)
    report.update(entry=FLAGS.name, weights=f"run {FLAGS.run}" if FLAGS.run else "shipped")
    text = json.dumps(report, indent=2)
    print(text)
    if FLAGS.out_json:
        with open(FLAGS.out_json, "w") as f:
            f.write(text + "\n")
    if FLAGS.out_png:
        rows = []
        for start in range(0, 32, 8):
            rows += [samples[start:start + 8], nearest[start:start + 8]]
        save_grid(np.concatenate(rows), FLAGS.out_png, cols=8)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(main)
