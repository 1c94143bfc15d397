"""Peak memory of sampling and training, and the cold `load(...).sample(16)` time.

    python bench/memory.py [--name dcgan-anime] [--train_steps 10] [--num 1024]

Each scenario runs in a fresh Python process; its peak resident set size comes from the
kernel's accounting of that child (os.wait4 -> ru_maxrss). The baseline, measured in the same
run, is a process that only imports TensorFlow and Keras: every row prints its peak and the
ratio to that floor. The cold-start row prints `import ganzoo` + `load` + `sample(16)` wall time
minus the `import tensorflow` time of the same process (goal: <= 1.5 s).
"""
import json
import os
import subprocess
import sys
import tempfile

from absl import app, flags

flags.DEFINE_string("name", "dcgan-anime", "zoo entry with shipped weights")
flags.DEFINE_integer("train_steps", 10, "training steps in the training scenario")
flags.DEFINE_integer("batch_size", 64, "training batch size")
flags.DEFINE_integer("num", 1024, "images in the sampling scenario")
FLAGS = flags.FLAGS

PRELUDE = "import os, time, json; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"

SCENARIOS = {
    "import tensorflow + keras (baseline)": """
t = time.perf_counter(); import tensorflow, keras
print(json.dumps({{"seconds": time.perf_counter() - t}}))
""",
    "cold start: import ganzoo, load, sample(16)": """
t = time.perf_counter(); import tensorflow, keras; t_tf = time.perf_counter() - t
import ganzoo
t1 = time.perf_counter(); ganzoo.load({name!r}).sample(16, seed=0)
total = time.perf_counter() - t
print(json.dumps({{"seconds": total, "import_tf": t_tf, "load_sample": time.perf_counter() - t1,
                  "minus_import_tf": total - t_tf}}))
""",
    "sample {num} images (batch 256)": """
import ganzoo
model = ganzoo.load({name!r})
t = time.perf_counter(); model.sample({num}, seed=0)
print(json.dumps({{"seconds": time.perf_counter() - t}}))
""",
    "train {train_steps} steps (batch {batch_size}, random data)": """
import numpy as np, tensorflow as tf, ganzoo
model = ganzoo.build({name!r}, seed=0)
x = np.random.default_rng(0).uniform(-1, 1, (4 * {batch_size}, *model.image_shape))
data = tf.data.Dataset.from_tensor_slices(x.astype("float32")).batch({batch_size}).repeat()
t = time.perf_counter(); model.fit(data, steps_per_epoch={train_steps}, epochs=1, verbose=0)
print(json.dumps({{"seconds": time.perf_counter() - t}}))
""",
}


def run_child(code):
    """(peak RSS in MiB, the JSON the child printed) of one fresh Python process."""
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen([sys.executable, "-c", PRELUDE + code], stdout=out,
                                 stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        out.seek(0)
        text = out.read().strip().splitlines()
    if status != 0 or not text:
        raise RuntimeError(f"scenario failed (status {status}): {code}")
    return usage.ru_maxrss / 1024, json.loads(text[-1])


def main(_):
    values = dict(name=FLAGS.name, num=FLAGS.num, train_steps=FLAGS.train_steps,
                  batch_size=FLAGS.batch_size)
    floor = None
    print(f"{'scenario':50s} {'peak RSS':>10s} {'x floor':>8s}  timing")
    for title, code in SCENARIOS.items():
        peak, result = run_child(code.format(**values))
        floor = floor or peak
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in result.items())
        print(f"{title.format(**values):50s} {peak:8.0f} MiB {peak / floor:7.2f}x  {timing}")


if __name__ == "__main__":
    app.run(main)
