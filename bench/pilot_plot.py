"""FID against training CPU-hours for pilot runs (bench/pilot.py's pilot.csv files), as a
table and a PNG line plot drawn with PIL (no plotting dependency).

    python bench/pilot_plot.py --runs "DCGAN-stack SNGAN=/work/runs/pilot-dcgan" \\
        --runs "ResNet SNGAN=/work/runs/pilot-resnet" --out docs/images/pilot-fid.png
"""
import csv
import math
from pathlib import Path

from absl import app, flags
from PIL import Image, ImageDraw

flags.DEFINE_multi_string("runs", [], "LABEL=RUN_DIR holding pilot.csv")
flags.DEFINE_string("out", "pilot-fid.png", "PNG to write")
flags.DEFINE_float("max_fid", None, "top of the FID axis (default: the largest value)")
FLAGS = flags.FLAGS

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]


def read(run_dir):
    with open(Path(run_dir) / "pilot.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def plot(series, out, max_fid=None, size=(720, 480), margin=(70, 30, 30, 60)):
    left, top, right, bottom = margin
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    hours = max(r["cpu_time_s"] for rows in series.values() for r in rows) / 3600
    x_max = math.ceil(hours * 2) / 2 or 0.5
    y_max = max_fid or math.ceil(max(r["fid"] for rows in series.values() for r in rows) / 50) * 50

    def at(h, fid):
        x = left + (width - left - right) * h / x_max
        y = top + (height - top - bottom) * (1 - min(fid, y_max) / y_max)
        return x, y

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for step in range(int(x_max * 2) + 1):
        x, _ = at(step / 2, 0)
        draw.line([x, height - bottom, x, height - bottom + 5], fill="black")
        draw.text((x - 8, height - bottom + 8), f"{step / 2:g}", fill="black")
    for fid in range(0, int(y_max) + 1, 50):
        _, y = at(0, fid)
        draw.line([left - 5, y, left, y], fill="black")
        draw.line([left, y, width - right, y], fill=(230, 230, 230))
        draw.text((left - 35, y - 6), str(fid), fill="black")
    draw.text((width // 2 - 60, height - 25), "training CPU-hours", fill="black")
    draw.text((8, top - 20), "FID (2,000 generated vs all 33,399 faces)", fill="black")
    for index, (label, rows) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [at(r["cpu_time_s"] / 3600, r["fid"]) for r in rows]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        draw.line([width - right - 220, top + 15 + 18 * index,
                   width - right - 200, top + 15 + 18 * index], fill=colour, width=3)
        draw.text((width - right - 195, top + 9 + 18 * index), label, fill="black")
    image.save(out)


def main(_):
    series = {}
    for spec in FLAGS.runs:
        label, _, run_dir = spec.partition("=")
        series[label] = rows = read(run_dir)
        print(f"{label}: " + "; ".join(
            f"{r['cpu_time_s'] / 3600:.2f} CPU-h (step {int(r['step'])}) FID {r['fid']:.1f}"
            for r in rows))
    plot(series, FLAGS.out, FLAGS.max_fid)
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
    app.run(main)
