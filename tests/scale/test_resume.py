"""A `ganzoo train` killed with SIGKILL resumes to the same weights as an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
from PIL import Image

from conftest import REPO_ROOT, blob_images

STEPS = 40


def _train(run_dir, data):
    return [sys.executable, "-m", "ganzoo.cli", "train", "tiny-dcgan", "--data", str(data),
            "--steps", str(STEPS), "--checkpoint_every", "2", "--seed", "3", "--out",
            str(run_dir)]


def _all_state(run_dir):
    """Every variable of the saved model: both networks, the EMA generator, both optimizers'
    moments and iteration counts, and the noise generator's state."""
    model = keras.models.load_model(run_dir / "checkpoint.keras")
    variables = (model.generator.weights + model.discriminator.weights
                 + model.ema_generator.weights + model.d_optimizer.variables
                 + model.g_optimizer.variables + [model.seed_generator.state])
    return model.train_steps, [v.numpy() for v in variables]


def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(tmp_zoo, tmp_path):
    data = tmp_path / "images"
    data.mkdir()
    for i, image in enumerate(blob_images(40)):  # 5 batches of 8: epochs wrap mid-run
        Image.fromarray(image).save(data / f"{i:03d}.png")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    subprocess.run(_train(tmp_path / "straight", data), check=True, env=env, cwd=REPO_ROOT,
                   capture_output=True, timeout=600)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train(killed, data), env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = killed / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if state.is_file() and json.loads(state.read_text() or "{}").get("step", 0) >= 6:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(state.read_text())["step"]
    assert 6 <= killed_at < STEPS

    resumed = subprocess.run(_train(killed, data), env=env, cwd=REPO_ROOT, text=True,
                             capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming" in resumed.stdout

    steps_a, straight = _all_state(tmp_path / "straight")
    steps_b, after_kill = _all_state(killed)
    assert steps_a == steps_b == STEPS
    assert len(straight) == len(after_kill)
    worst = max(float(np.abs(a.astype(np.float64) - b).max())
                for a, b in zip(straight, after_kill))
    assert worst < 1e-5
