"""A `ganzoo train` killed with SIGKILL, or stopped by SIGINT / SIGTERM, resumes to the same
weights as an uninterrupted run; a second writer on a run directory is refused."""
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


def _train(run_dir, data, steps=STEPS):
    return [sys.executable, "-m", "ganzoo.cli", "train", "tiny-dcgan", "--data", str(data),
            "--steps", str(steps), "--checkpoint_every", "2", "--seed", "3", "--out",
            str(run_dir)]


def _all_state(run_dir):
    """Every variable of the saved model: both networks, the EMA generator, both optimizers'
    moments and iteration counts, and the noise generator's state."""
    model = keras.models.load_model(run_dir / "checkpoint.keras")
    variables = (model.generator.weights + model.discriminator.weights
                 + model.ema_generator.weights + model.d_optimizer.variables
                 + model.g_optimizer.variables + [model.seed_generator.state])
    return model.train_steps, [v.numpy() for v in variables]


def _images(tmp_path):
    data = tmp_path / "images"
    data.mkdir()
    for i, image in enumerate(blob_images(40)):  # 5 batches of 8: epochs wrap mid-run
        Image.fromarray(image).save(data / f"{i:03d}.png")
    return data


def _env():  # read when called: tmp_zoo sets GANZOO_HOME
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def _start_and_wait(run_dir, data, at_step=6, steps=STEPS, **popen):
    """A training process that has saved a checkpoint at step >= at_step."""
    proc = subprocess.Popen(_train(run_dir, data, steps), env=_env(), cwd=REPO_ROOT, **popen)
    state = run_dir / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if state.is_file() and json.loads(state.read_text() or "{}").get("step", 0) >= at_step:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be stopped"
    return proc


def _resume_and_compare(tmp_path, data, run_dir):
    resumed = subprocess.run(_train(run_dir, data), env=_env(), cwd=REPO_ROOT, text=True,
                             capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming" in resumed.stdout
    straight_dir = tmp_path / "straight"
    if not straight_dir.exists():
        subprocess.run(_train(straight_dir, data), check=True, env=_env(), cwd=REPO_ROOT,
                       capture_output=True, timeout=600)
    steps_a, straight = _all_state(straight_dir)
    steps_b, resumed_state = _all_state(run_dir)
    assert steps_a == steps_b == STEPS
    assert len(straight) == len(resumed_state)
    return max(float(np.abs(a.astype(np.float64) - b).max())
               for a, b in zip(straight, resumed_state))


def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(tmp_zoo, tmp_path):
    data = _images(tmp_path)
    killed = tmp_path / "killed"
    proc = _start_and_wait(killed, data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = json.loads((killed / "state.json").read_text())["step"]
    assert 6 <= killed_at < STEPS
    assert (killed / "run.lock").exists()  # left by the dead writer: stale, taken over below
    assert _resume_and_compare(tmp_path, data, killed) < 1e-5
    assert not (killed / "run.lock").exists()  # released on a normal exit
    assert not list(killed.glob("*.tmp*"))


def test_sigint_and_sigterm_save_at_the_next_step_and_resume_bit_identically(tmp_zoo,
                                                                              tmp_path):
    data = _images(tmp_path)
    for number, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        run_dir = tmp_path / signal.Signals(number).name
        proc = _start_and_wait(run_dir, data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        os.kill(proc.pid, number)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == code, err[-3000:]
        assert "Traceback" not in err
        stopped_at = json.loads((run_dir / "state.json").read_text())["step"]
        assert 6 <= stopped_at < STEPS
        assert f"at step {stopped_at} of {STEPS}" in err and \
            f"Resume with the same command: ganzoo train tiny-dcgan --out {run_dir}" in err
        # The saved step is whatever step was running, not the last multiple of
        # --checkpoint_every: nothing since the last checkpoint is lost.
        model = keras.models.load_model(run_dir / "checkpoint.keras")
        assert model.train_steps == stopped_at
        assert _resume_and_compare(tmp_path, data, run_dir) == 0.0


def test_a_second_writer_is_refused_naming_the_first(tmp_zoo, tmp_path):
    data = _images(tmp_path)
    run_dir = tmp_path / "run"
    first = _start_and_wait(run_dir, data, at_step=2, steps=1_000_000,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        second = subprocess.run(_train(run_dir, data), env=_env(), cwd=REPO_ROOT, text=True,
                                capture_output=True, timeout=300)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert f"being trained by another process (pid {first.pid} on" in second.stderr
        assert "give another --out" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=300)
    assert first.returncode == 130  # the first run was not disturbed: it saved and stopped
    assert (run_dir / "checkpoint.keras").exists()


def test_a_second_ctrl_c_exits_at_once_keeping_the_last_checkpoint(tmp_zoo, tmp_path):
    data = _images(tmp_path)
    run_dir = tmp_path / "run"
    proc = _start_and_wait(run_dir, data, at_step=4, steps=1_000_000, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    os.kill(proc.pid, signal.SIGINT)
    for line in proc.stderr:  # the first one is acknowledged: now interrupt the save
        if "saving a checkpoint at the end of this step" in line:
            os.kill(proc.pid, signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 130
    assert "SIGINT again: exiting now" in rest and "Traceback" not in rest
    model = keras.models.load_model(run_dir / "checkpoint.keras")  # complete and readable
    assert model.train_steps >= 4
