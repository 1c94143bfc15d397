"""An equal-CPU-budget pilot of one recipe: train from scratch in segments, measuring FID after
each, until the run has used its budget of CPU-hours.

    python bench/pilot.py --name sngan-anime --recipe zoo_configs/recipes/FILE.json \\
        --data ../shared/data/anime_faces_64.zip --out /work/runs/pilot-NAME \\
        [--budget_cpu_hours 2] [--eval_every_cpu_hours 0.25] [--precision auto]

Each segment is `ganzoo train` (resuming the run) up to a step count estimated from the last
segment's CPU seconds per step, then `ganzoo evaluate --run` (FID, --num generated vs the
entry's shipped all-faces statistics, seed 0). The budget is the training process's CPU time
as `state.json` records it (`cpu_time_s`: every thread of the process), so pilots compare on
a machine shared with other work, and pinned to one core each (`taskset -c N`) they can run
side by side. Evaluation time is not charged to the budget. Rerunning the same command
continues a stopped pilot. Rows go to OUT/pilot.csv:
step, images_seen, cpu_time_s, wall_time_s, fid.
Ctrl-C or kill (SIGTERM) on the training process pauses the pilot after saving a checkpoint.
"""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from absl import app, flags

flags.DEFINE_string("name", "sngan-anime", "zoo entry whose recipe is piloted")
flags.DEFINE_string("recipe", None, "a --recipe JSON file applied to the entry")
flags.DEFINE_string("data", "../shared/data/anime_faces_64.zip", "training data")
flags.DEFINE_string("out", None, "run directory (outside the work tree)")
flags.DEFINE_float("budget_cpu_hours", 2.0, "training CPU-hours to spend")
flags.DEFINE_float("eval_every_cpu_hours", 0.25, "CPU-hours between FID measurements")
flags.DEFINE_integer("first_segment_steps", 100, "steps of the first segment (no rate yet)")
flags.DEFINE_integer("num", 2000, "generated images per FID")
flags.DEFINE_string("reference", "anime-faces-all", "shipped FID statistics")
flags.DEFINE_string("precision", "auto", "--precision of ganzoo train")
flags.DEFINE_integer("checkpoint_every", 100, "steps between checkpoints")
flags.mark_flag_as_required("out")
FLAGS = flags.FLAGS

COLUMNS = ["step", "images_seen", "cpu_time_s", "wall_time_s", "fid"]


def ganzoo(*args):
    command = [sys.executable, "-m", "ganzoo", *map(str, args)]
    print("+", " ".join(command), flush=True)
    code = subprocess.run(command).returncode
    if code in (130, 143):  # the segment was interrupted and saved: rerun to continue
        print(f"pilot paused ({'SIGINT' if code == 130 else 'SIGTERM'}); rerun this command "
              f"to continue", flush=True)
        sys.exit(code)
    if code:
        sys.exit(f"pilot: {command[3]} failed with exit code {code}")


def read_state(out):
    path = Path(out) / "state.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def measure(out):
    results = Path(out) / "fid.json"
    ganzoo("evaluate", FLAGS.name, "--run", out, "--metrics", "fid", "--num", FLAGS.num,
           "--reference", FLAGS.reference, "--seed", 0, "--out", results)
    return json.loads(results.read_text())["fid"]


def main(_):
    out = Path(FLAGS.out)
    table = out / "pilot.csv"
    budget = FLAGS.budget_cpu_hours * 3600
    while True:
        state = read_state(out)
        step, cpu = state.get("step", 0), state.get("cpu_time_s", 0.0)
        rows = list(csv.DictReader(table.open())) if table.is_file() else []
        if step and (not rows or int(rows[-1]["step"]) != step):
            row = {key: state.get(key) for key in COLUMNS[:-1]}
            row["fid"] = round(measure(out), 2)
            new = not table.is_file()
            with table.open("a", newline="") as f:
                writer = csv.DictWriter(f, COLUMNS)
                if new:
                    writer.writeheader()
                writer.writerow(row)
            print(f"pilot {out}: step {step}, {cpu / 3600:.2f} CPU-h, FID {row['fid']}",
                  flush=True)
        if cpu >= budget:
            print(f"pilot {out}: budget of {FLAGS.budget_cpu_hours} CPU-h spent")
            return
        if step:
            per_step = cpu / step
            interval = min(FLAGS.eval_every_cpu_hours * 3600, budget - cpu)
            target = step + max(1, round(interval / per_step))
        else:
            target = FLAGS.first_segment_steps
        # Whole checkpoint intervals, so every segment ends on a checkpoint.
        every = FLAGS.checkpoint_every
        target = max(step + every, -(-target // every) * every)
        args = ["train", FLAGS.name, "--data", FLAGS.data, "--out", out, "--steps", target,
                "--checkpoint_every", FLAGS.checkpoint_every, "--precision", FLAGS.precision]
        if FLAGS.recipe and not step:  # a resume keeps the run's recorded recipe
            args += ["--recipe", FLAGS.recipe]
        ganzoo(*args)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(main)
