"""Plots a training metric of several runs from their TensorBoard logs, as a PNG and a table.

    python bench/loss_curves.py --runs runs/wgan-gp-fashion,runs/wgan-fashion \
        --metric wasserstein --out docs/images/wgan-critic-curves.png

`ganzoo train` logs every metric once per checkpoint interval (the mean over those steps), so
each run gives one point per `checkpoint_every` steps. The figure is drawn with PIL (no plotting
dependency); the markdown table printed beside it has the same numbers.
"""
import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from absl import app, flags
from PIL import Image, ImageDraw

flags.DEFINE_list("runs", None, "Run directories (ganzoo train --out).", required=True)
flags.DEFINE_string("metric", "wasserstein", "Metric name as logged (d_loss, g_loss, ...).")
flags.DEFINE_string("out", None, "PNG to write.", required=True)
FLAGS = flags.FLAGS

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]


def read_curve(run_dir, metric):
    """(steps, values) of `epoch_<metric>` in the run's logs/train events."""
    run_dir = Path(run_dir)
    interval = json.loads((run_dir / "config.json").read_text())["training"]["checkpoint_every"]
    points = {}
    for path in sorted((run_dir / "logs" / "train").glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == f"epoch_{metric}":
                    # A resumed run rewrites an epoch: the later event wins.
                    points[(event.step + 1) * interval] = float(tf.make_ndarray(value.tensor))
    if not points:
        raise SystemExit(f"No '{metric}' in {run_dir}/logs/train.")
    steps = sorted(points)
    return np.array(steps), np.array([points[s] for s in steps])


def plot(curves, metric, out, size=(720, 420), margin=(70, 20, 30, 50)):
    left, top, right, bottom = margin
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    all_steps = np.concatenate([s for s, _ in curves.values()])
    all_values = np.concatenate([v for _, v in curves.values()])
    x0, x1 = 0, all_steps.max()
    y0, y1 = min(0.0, all_values.min()), all_values.max()
    y1 += 0.05 * (y1 - y0) or 1.0

    def xy(step, value):
        return (left + (step - x0) / (x1 - x0) * (width - left - right),
                height - bottom - (value - y0) / (y1 - y0) * (height - top - bottom))

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for tick in np.linspace(y0, y1, 6):
        x, y = xy(x0, tick)
        draw.line([x - 4, y, x, y], fill="black")
        draw.text((5, y - 6), f"{tick:.3g}", fill="black")
    for tick in np.linspace(x0, x1, 5):
        x, y = xy(tick, y0)
        draw.line([x, y, x, y + 4], fill="black")
        draw.text((x - 12, y + 8), f"{int(tick)}", fill="black")
    draw.text((width // 2 - 40, height - 18), "training step", fill="black")
    if y0 < 0 < y1:
        draw.line([xy(x0, 0), xy(x1, 0)], fill=(180, 180, 180))
    for i, (name, (steps, values)) in enumerate(curves.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = [xy(s, v) for s, v in zip(steps, values)]
        draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
        draw.text((left + 10, top + 8 + 14 * i), f"{name}: {metric}", fill=colour)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    image.save(out)


def main(_):
    curves = {Path(run).name: read_curve(run, FLAGS.metric) for run in FLAGS.runs}
    plot(curves, FLAGS.metric, FLAGS.out)
    names = list(curves)
    print("| step | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    steps = sorted(set(np.concatenate([s for s, _ in curves.values()]).tolist()))
    for step in steps:
        row = []
        for name in names:
            s, v = curves[name]
            row.append(f"{v[list(s).index(step)]:.3f}" if step in s else "")
        print(f"| {step} | " + " | ".join(row) + " |")
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
    app.run(main)
