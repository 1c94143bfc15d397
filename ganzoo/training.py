"""Training loop pieces shared by every variant: plain `model.fit` plus Keras callbacks.

A run directory holds
  checkpoint.keras        the whole model: both networks, EMA, both optimizers, RNG state
  checkpoint.prev.keras   the one before (kept in case the latest is damaged)
  state.json              step count, images seen, accumulated wall and CPU time
  generator.weights.h5    the shipped generator(s) of the last checkpoint (EMA if enabled)
  samples/step_NNNNNNN.png, logs/ (TensorBoard: losses and a fixed-noise image grid)
  run.lock                who is writing the run (see `RunLock`)
Every file is written to a temporary name unique to its writer and renamed, so a run killed at
any moment keeps its last complete checkpoint; `fit_gan` on the same directory resumes from
it. SIGINT (Ctrl-C) and SIGTERM save a checkpoint at the next step boundary and stop
(`TrainingInterrupted`).
"""
import json
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
import zipfile
from pathlib import Path

import keras
import tensorflow as tf

from ganzoo.files import atomic_write_text
from ganzoo.images import make_grid, save_grid

log = logging.getLogger("ganzoo")

CHECKPOINT = "checkpoint.keras"
PREVIOUS_CHECKPOINT = "checkpoint.prev.keras"
STATE = "state.json"
GENERATOR_WEIGHTS = "generator.weights.h5"


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; training stopped before saving the bad state."""


class CheckpointError(OSError):
    """A checkpoint could not be written (disk full, read-only or vanished run directory);
    the previous checkpoint is left as it was."""


RUN_CONFIG = "config.json"
LOCK = "run.lock"


class RunDirectoryError(OSError):
    """A run directory's file is unreadable or the directory cannot be written; the message
    names the file and what to do."""


class RunLockedError(RunDirectoryError):
    """Another live process is writing this run directory."""


class TrainingInterrupted(Exception):
    """SIGINT or SIGTERM stopped training after a checkpoint was saved."""

    def __init__(self, step, signal_number, run_dir, total_steps=None):
        self.step, self.signal_number, self.run_dir = step, signal_number, run_dir
        self.total_steps = total_steps
        super().__init__(f"{signal.Signals(signal_number).name} at step {step}: checkpoint "
                         f"saved in {run_dir}")


def _read_json_file(path, what):
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunDirectoryError(
            f"{path} ({what}) cannot be read: {error}. Restore it from a backup, or move "
            f"the run directory aside and start a new run.") from None
    if not isinstance(value, dict):
        raise RunDirectoryError(f"{path} ({what}) must hold a JSON object, got "
                                f"{type(value).__name__}.")
    return value


def read_state(run_dir):
    return _read_json_file(Path(run_dir) / STATE, "the run's step count and times")


def read_run_config(run_dir):
    return _read_json_file(Path(run_dir) / RUN_CONFIG, "the run's config")


def _writer_tmp(path):
    """A temporary name beside `path` unique to this process, keeping the suffix Keras
    and h5py look at (checkpoint.keras -> checkpoint.1234.tmp.keras)."""
    path = Path(path)
    suffix = "".join(path.suffixes)
    return path.with_name(f"{path.name[:-len(suffix)]}.{os.getpid()}.tmp{suffix}")


def _describe_holder(text):
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (ValueError, KeyError, TypeError):
        return "a process that left no pid"


_HELD_LOCKS = {}  # realpath -> [file descriptor, depth]: re-entrant within one process


class RunLock:
    """One writer per run directory: an exclusive `flock` on run_dir/run.lock, which holds
    the writer's pid, host and start time. The kernel drops the lock when the process exits,
    however it exits (kill -9 included), so a lock file left behind by a dead process is
    simply taken over; a live holder makes `acquire` refuse, naming it. Re-entrant within a
    process (the CLI holds it from before the restore; `fit_gan` takes it again)."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.key = os.path.realpath(self.run_dir)

    def acquire(self):
        import fcntl

        if self.key in _HELD_LOCKS:
            _HELD_LOCKS[self.key][1] += 1
            return self
        path = self.run_dir / LOCK
        while True:
            try:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                if not os.access(self.run_dir, os.W_OK):  # a writable lock file is not enough
                    raise PermissionError(13, "Permission denied")
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise RunDirectoryError(
                    f"Cannot write in the run directory {self.run_dir} "
                    f"({error.strerror or error}): training keeps its checkpoints there. Fix "
                    f"its permissions, or give another --out (a copy of the directory resumes "
                    f"the run).") from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(descriptor, 1024).decode(errors="replace").strip()
                os.close(descriptor)
                raise RunLockedError(
                    f"{self.run_dir} is being trained by another process "
                    f"({_describe_holder(holder)}); a run directory has one writer. Wait for "
                    f"it to finish, stop it (Ctrl-C or kill: it saves a checkpoint, then rerun "
                    f"this command to resume), or give another --out.") from None
            # The holder we waited on may have removed the file on release: a lock on that
            # unlinked file guards nothing, so lock the file now at the path instead.
            try:
                if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(descriptor)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        _HELD_LOCKS[self.key] = [descriptor, 1]
        return self

    def release(self):
        import fcntl

        held = _HELD_LOCKS.get(self.key)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del _HELD_LOCKS[self.key]
            # Removed while still locked, so no other process can lock it in between.
            (self.run_dir / LOCK).unlink(missing_ok=True)
            fcntl.flock(held[0], fcntl.LOCK_UN)
            os.close(held[0])

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def starting_recipe(run_config):
    """The `--recipe` change a run was started with (step 0 of its recorded changes:
    {"step", "recipe", "fields"}), or None for a run of the entry's own recipe."""
    changes = run_config.get("run", {}).get("changes") or []
    return next((change for change in changes
                 if change["step"] == 0 and change.get("recipe")), None)


def run_entry_config(run_config):
    """The entry config a run trains (its config.json without the "run" record of flags and
    changes): what `zoo.build` rebuilds the run's model from."""
    return {key: value for key, value in run_config.items() if key != "run"}


DAMAGED_CHECKPOINT = "checkpoint.damaged.keras"


def has_checkpoint(run_dir):
    return any((Path(run_dir) / name).exists() for name in (CHECKPOINT, PREVIOUS_CHECKPOINT))


def restore(run_dir, build=None):
    """The model saved in run_dir (latest checkpoint, else the previous one), or None when
    the run has no checkpoint yet.

    `build` (a function returning a fresh, compiled model) continues the run in a rebuilt
    model: the checkpoint's whole state (weights, EMA, optimizer moments and step, noise
    stream) is loaded into `build()`'s variables. That is how a run changes its dtype policy
    or a recipe field that adds no variables (DiffAugment, learning rates and their
    schedules) part-way; a checkpoint whose variables do not fit the rebuilt model is
    reported as such.

    A latest checkpoint that cannot be read is renamed checkpoint.damaged.keras (kept for
    inspection, and out of the way so the next save does not rotate it over the good previous
    one) and the previous one is used. If checkpoints exist but none can be read, this raises
    CheckpointError and touches nothing: starting over would overwrite them."""
    from ganzoo import zoo  # noqa: F401  (registers the variant classes load_model needs)

    run_dir = Path(run_dir)
    failures = []
    for name in (CHECKPOINT, PREVIOUS_CHECKPOINT):
        path = run_dir / name
        if not path.exists():
            continue
        if not zipfile.is_zipfile(path):  # Keras would call this "File not found"
            failures.append(f"{path} ({path.stat().st_size:,} bytes: not a complete .keras zip "
                            f"archive, i.e. truncated or damaged)")
            continue
        try:
            model = keras.models.load_model(path) if build is None else \
                _load_into(build(), path)
        except CheckpointMismatchError:
            raise
        except Exception as error:  # a damaged archive
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            failures.append(f"{path} ({path.stat().st_size:,} bytes: {reason})")
            continue
        if failures:
            os.replace(run_dir / CHECKPOINT, run_dir / DAMAGED_CHECKPOINT)
            log.warning("Could not read %s; resuming from %s (step %d). The damaged file "
                        "was kept as %s.", failures[0], path, model.train_steps,
                        DAMAGED_CHECKPOINT)
        return model
    if failures:
        raise CheckpointError(
            f"{run_dir} has checkpoints, but none can be read: {'; '.join(failures)}. "
            f"Nothing was changed. Move or delete them to start this run again from step 0, "
            f"or give another --out for a new run.")
    return None


def write_shipped_weights(run_dir):
    """Writes run_dir/generator.weights.h5 from the run's checkpoint: the file the training
    loop writes beside every checkpoint, for a directory that holds the resumable state only
    (a copy of checkpoints/NAME). Refuses a checkpoint whose step is not state.json's (a
    damaged latest one, replaced by the previous), so the weights match the recorded step."""
    run_dir = Path(run_dir)
    model = restore(run_dir)
    if model is None:
        raise FileNotFoundError(f"{run_dir} holds neither {GENERATOR_WEIGHTS} nor a "
                                f"checkpoint to take the generator from.")
    step = read_state(run_dir).get("step")
    if model.train_steps != step:
        raise CheckpointError(f"{run_dir}: the readable checkpoint is at step "
                              f"{model.train_steps}, state.json says {step}; not publishing "
                              f"weights that do not match the record.")
    tmp = _writer_tmp(run_dir / GENERATOR_WEIGHTS)
    model.shipped_network().save_weights(tmp)
    os.replace(tmp, run_dir / GENERATOR_WEIGHTS)


class CheckpointMismatchError(ValueError):
    """A checkpoint's variables do not fit the model it is to be loaded into."""


def _load_into(model, path):
    """`model` with the state of the .keras checkpoint at `path`. Keras' load_weights
    reads every saved variable, optimizers and the noise stream included, but loads a
    shorter list without complaint: count, then compare shapes, so a changed architecture
    is refused rather than half-loaded."""
    saved = keras.models.load_model(path, compile=True)
    mismatches = _variable_mismatches(saved, model)
    if mismatches:
        raise CheckpointMismatchError(
            f"{path} does not fit the rebuilt model: {'; '.join(mismatches[:5])}"
            f"{' ...' if len(mismatches) > 5 else ''}. Only changes that keep every "
            f"variable (precision, augmentation, learning rates) can continue a run; wider "
            f"networks can start a new run from it with `ganzoo train --init_from`.")
    for target, source in zip(_state_variables(model), _state_variables(saved)):
        target.assign(source)
    model.seed_generator.state.assign(saved.seed_generator.state)
    return model


def _state_variables(model):
    """Every variable a resume must carry over, in a fixed order: all network weights
    (EMA included) and both optimizers' variables (iterations, moments). Not a float
    learning rate's variable: the rate is recipe, not state, so a continued run takes the
    rebuilt model's (a new rate, or a schedule such as ConstantThenLinearDecay, which has
    no variable at all) instead of the checkpoint's."""
    optimizer_state = [variable for optimizer in (model.d_optimizer, model.g_optimizer)
                       for variable in optimizer.variables if variable.name != "learning_rate"]
    return [*model.weights, *optimizer_state]


def _variable_mismatches(saved, model):
    old, new = _state_variables(saved), _state_variables(model)
    if len(old) != len(new):
        return [f"it has {len(old)} variables, the model {len(new)}"]
    return [f"{a.path} {tuple(a.shape)} vs {b.path} {tuple(b.shape)}"
            for a, b in zip(old, new) if tuple(a.shape) != tuple(b.shape)]


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the whole model at the end of every epoch (= `checkpoint_every` steps) and at the
    end of training: temp file + rename, keeping the previous checkpoint as well."""

    def __init__(self, run_dir, batch_size):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.batch_size = batch_size
        self.state = read_state(run_dir)
        self.saved_step = self.state.get("step")
        self.started = time.time()
        self.wall_time_before = self.state.get("wall_time_s", 0.0)
        # CPU seconds of this process (all its threads): the budget that compares runs on
        # a shared or differently sized machine, where wall time does not.
        self.cpu_started = time.process_time()
        self.cpu_time_before = self.state.get("cpu_time_s", 0.0)

    def save(self):
        step = self.model.train_steps
        if step == self.saved_step:
            return
        latest = self.run_dir / CHECKPOINT
        tmp, weights_tmp = _writer_tmp(latest), _writer_tmp(self.run_dir / GENERATOR_WEIGHTS)
        try:
            self.model.save(tmp)
            self.model.shipped_network().save_weights(weights_tmp)
        except OSError as error:  # nothing was renamed yet: the last checkpoint is intact
            for path in (tmp, weights_tmp):
                path.unlink(missing_ok=True)
            kept = f"{latest} (step {self.saved_step}) is intact" if latest.exists() \
                else "no earlier checkpoint exists"
            raise CheckpointError(
                f"Could not write the step-{step} checkpoint in {self.run_dir}: {error}. "
                f"Training stopped; {kept}. Free disk space or fix the directory's "
                f"permissions, then rerun the same command to resume."
            ) from None
        if latest.exists():
            os.replace(latest, self.run_dir / PREVIOUS_CHECKPOINT)
        os.replace(tmp, latest)
        os.replace(weights_tmp, self.run_dir / GENERATOR_WEIGHTS)
        images_before = self.state.get("images_seen", 0)
        steps_before = self.state.get("step", 0)
        self.state.update(
            step=step,
            images_seen=images_before + (step - steps_before) * self.batch_size,
            wall_time_s=round(self.wall_time_before + time.time() - self.started, 1),
            cpu_time_s=round(self.cpu_time_before + time.process_time() - self.cpu_started, 1),
        )
        atomic_write_text(self.run_dir / STATE, json.dumps(self.state, indent=2))
        self.saved_step = step

    def on_train_begin(self, logs=None):
        # Resumed from the previous checkpoint (the latest was damaged): count from there.
        behind = self.state.get("step", 0) - self.model.train_steps
        if behind > 0:
            self.state.update(step=self.model.train_steps, images_seen=max(
                0, self.state.get("images_seen", 0) - behind * self.batch_size))
            self.saved_step = self.model.train_steps

    def on_epoch_end(self, epoch, logs=None):
        self.save()

    def on_train_end(self, logs=None):
        self.save()


class StopAtStep(keras.callbacks.Callback):
    """Ends `fit` exactly when the model has done `total_steps` training steps."""

    def __init__(self, total_steps):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if self.model.train_steps >= self.total_steps:
            self.model.stop_training = True


class LogScheduledLearningRates(keras.callbacks.Callback):
    """Adds `d_learning_rate` / `g_learning_rate` to each epoch's logs (so the progress bar,
    History and TensorBoard show them) for optimizers whose rate follows a schedule, e.g.
    ConstantThenLinearDecay; constant rates are left out of the logs."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for role in ("d", "g"):
            optimizer = getattr(self.model, f"{role}_optimizer", None)
            if optimizer is not None and isinstance(optimizer.get_config()["learning_rate"],
                                                    dict):  # a serialised schedule
                logs[f"{role}_learning_rate"] = float(optimizer.learning_rate)


class StopOnNonFinite(keras.callbacks.Callback):
    """Raises NonFiniteLossError, naming the loss and step, as soon as a loss is NaN or
    infinite; the exception stops `fit` before any later callback saves the bad weights."""

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                raise NonFiniteLossError(
                    f"{name} became {float(value)} at training step {self.model.train_steps}; "
                    f"training stopped and the last good checkpoint was kept."
                )


class SampleGrid(keras.callbacks.Callback):
    """At every epoch end: a grid of samples from fixed noise, as a PNG under run_dir/samples
    and as a TensorBoard image, so progress is comparable from one checkpoint to the next."""

    def __init__(self, run_dir, num=64, seed=0):
        super().__init__()
        self.samples_dir = Path(run_dir) / "samples"
        self.writer = tf.summary.create_file_writer(str(Path(run_dir) / "logs" / "samples"))
        self.num, self.seed = num, seed

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.preview(self.num, seed=self.seed)
        if images is None:
            return
        step = self.model.train_steps
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        cols = self.model.preview_cols
        save_grid(images, self.samples_dir / f"step_{step:07d}.png", cols=cols)
        with self.writer.as_default():
            tf.summary.image("samples", make_grid(images, cols=cols)[None], step=step)


class StopOnInterrupt(keras.callbacks.Callback):
    """Ends `fit` at the step boundary after SIGINT or SIGTERM (`interrupts` sets
    `signal_number`); the checkpoint callbacks then save as at any epoch end."""

    def __init__(self):
        super().__init__()
        self.signal_number = None

    def on_train_batch_end(self, batch, logs=None):
        if self.signal_number is not None:
            self.model.stop_training = True


class interrupts:
    """While active (main thread only), the first SIGINT or SIGTERM asks `stopper` to stop
    at the next step boundary; a second one exits at once (the last complete checkpoint is
    kept: files are written under temporary names and renamed)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stopper):
        self.stopper, self.previous = stopper, {}

    def handle(self, number, frame):
        name = signal.Signals(number).name
        if self.stopper.signal_number is not None:
            sys.stderr.write(f"\n{name} again: exiting now, without saving this step; the "
                             f"last checkpoint is intact.\n")
            sys.stderr.flush()
            os._exit(128 + number)
        self.stopper.signal_number = number
        sys.stderr.write(f"\n{name}: saving a checkpoint at the end of this step, then "
                         f"stopping ({'Ctrl-C' if number == signal.SIGINT else name} again "
                         f"quits at once).\n")
        sys.stderr.flush()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = {number: signal.signal(number, self.handle)
                             for number in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _remove_stale_temporaries(run_dir):
    """Temporary files of writers that died mid-write (the lock is ours, so none is live)."""
    for path in Path(run_dir).glob("*.tmp*"):
        if f".{os.getpid()}.tmp" not in path.name:
            path.unlink(missing_ok=True)


def fit_gan(model, dataset, total_steps, run_dir, *, batch_size, checkpoint_every=500,
            verbose="auto", callbacks=(), write=True):
    """Trains `model` on the repeating `dataset` until it has done `total_steps` steps,
    checkpointing into run_dir every `checkpoint_every` steps. Returns the Keras History.
    `write=False` (a non-chief worker of a multi-host run) trains without writing files.
    Holds the run's `RunLock` throughout; SIGINT or SIGTERM saves a checkpoint at the next
    step and raises `TrainingInterrupted`."""
    run_dir = Path(run_dir)
    done = model.train_steps
    if done >= total_steps:
        log.info("Run %s already has %d >= %d steps; nothing to do.", run_dir, done, total_steps)
        return None
    lock = RunLock(run_dir) if write else None
    if lock:
        lock.acquire()
    try:
        if write:
            _remove_stale_temporaries(run_dir)
        return _fit(model, dataset, total_steps, run_dir, batch_size, checkpoint_every,
                    verbose, callbacks, write)
    finally:
        if lock:
            lock.release()


def _fit(model, dataset, total_steps, run_dir, batch_size, checkpoint_every, verbose,
         callbacks, write):
    writers = [
        AtomicCheckpoint(run_dir, batch_size),
        SampleGrid(run_dir),
        keras.callbacks.TensorBoard(str(run_dir / "logs"), update_freq="epoch"),
    ] if write else []
    stopper = StopOnInterrupt()
    # The rates go into the logs before the writers (TensorBoard) read them.
    callbacks = [StopOnNonFinite(), StopAtStep(total_steps), stopper,
                 LogScheduledLearningRates(), *writers, *callbacks]
    with interrupts(stopper):
        history = model.fit(
            dataset,
            steps_per_epoch=checkpoint_every,
            initial_epoch=model.train_steps // checkpoint_every,
            epochs=math.ceil(total_steps / checkpoint_every),
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,  # tf.data pipelines shuffle themselves
        )
    if stopper.signal_number is not None and model.train_steps < total_steps:
        raise TrainingInterrupted(model.train_steps, stopper.signal_number, run_dir,
                                  total_steps)
    return history
