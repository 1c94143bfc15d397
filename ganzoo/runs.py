"""Training runs as a library: start, resume and grow a run directory, the change checks and
the records, in one place. The `ganzoo train` command is argument parsing plus `train`.

    from ganzoo import runs
    runs.train("dcgan-anime", data="faces.zip", out="runs/anime", steps=6000)   # start
    runs.train("dcgan-anime", out="runs/anime")                # resume: the run's own settings
    runs.train("sngan-anime", data="faces.zip", out="runs/wide", init_from="runs/anime",
               recipe="zoo_configs/recipes/sngan-anime-widen64.json")          # grow a run

A run directory's files are `ganzoo.training`'s (checkpoints, state.json, config.json with the
run's settings under "run", run.lock). A resume keeps what the run was started with: settings
left out take the recorded values, a differing one is refused (`RunError`, naming each), a
new precision or a recipe that adds no variables continues the run in a rebuilt model with the
change recorded.
"""
import dataclasses
import json
import os
import sys


class RunError(ValueError):
    """Settings that cannot start or continue this run; the message says what to change."""


@dataclasses.dataclass
class RunSettings:
    """What `ganzoo train` takes; None means the entry's recipe (new run) or the run's
    recorded value (resume)."""
    name: str
    out: str = None
    data: str = None
    data_dir: str = None
    split: str = None
    steps: int = None
    batch_size: int = None
    checkpoint_every: int = None
    seed: int = None
    strategy: str = None
    precision: str = None
    recipe: str = None
    init_from: str = None
    labels_csv: str = None
    pairs: str = None


def train(name, **settings):
    """Starts or resumes the run `settings["out"]` (default runs/NAME) of entry `name` and
    trains it to its step count; returns the run's state (step, images seen, times). SIGINT
    or SIGTERM saves a checkpoint and raises `ganzoo.training.TrainingInterrupted`."""
    return run(RunSettings(name=name, **settings))


def run(settings):
    """`train` for a `RunSettings`."""
    from ganzoo import distribute, registry, training
    from ganzoo.startup import import_tensorflow_quietly

    config = registry.get_config(settings.name)
    settings.out = settings.out or os.path.join(
        "runs", os.path.splitext(os.path.basename(settings.name))[0])
    import_tensorflow_quietly()
    strategy = distribute.make_strategy(settings.strategy or "default")
    if not distribute.is_chief(strategy):
        return _train(settings, config, strategy)
    # One writer per run directory, from before anything is read or written in it.
    with training.RunLock(settings.out):
        return _train(settings, config, strategy)


# What a run records of its command line, and what a resume must not change: the run's
# batches, noise and data order depend on them (images_seen would mix batch sizes). The
# precision may change: the resume then rebuilds the model under the new policy.
_RUN_FIXED = ("data", "split", "batch_size", "seed", "labels_csv", "pairs", "precision")
# Config fields a --recipe may not replace: they name the entry and its shipped weights.
_NOT_RECIPE = ("name", "weights", "quality", "run")


def resolve_resume(settings, run):
    """A resumed run keeps what it was started with: flags left out take the run's recorded
    values; a flag that differs is refused, naming each difference. A different
    --precision is allowed (returned as (recorded, given)), else None."""
    differences, precision_change = [], None
    for flag in _RUN_FIXED:
        given, recorded = getattr(settings, flag), run.get(flag)
        if flag == "seed" and "seed" not in run:  # runs that recorded only the data seed
            recorded = run.get("data_seed")
        if given is None or (flag == "precision" and given == "auto"):
            setattr(settings, flag, recorded)
            continue
        if flag == "precision":
            if given != recorded:
                precision_change = (recorded or "float32", given)
            continue
        same = given == recorded
        if flag == "data" and recorded and not str(given).startswith("tfds:"):
            same = os.path.realpath(given) == os.path.realpath(recorded)
        if not same and not (recorded is None and flag in ("labels_csv", "pairs", "split")):
            differences.append(f"--{flag} {given} (the run has {recorded})")
    if differences:
        raise RunError(
            f"{settings.out} is a run started with other settings, and resuming it would mix "
            f"them: {'; '.join(differences)}. Rerun without those flags to resume it as it "
            f"was, or give a new --out to start another run.")
    return precision_change


def read_recipe(path, config):
    """`config` with the fields of the JSON object in `path` replaced, validated; and the
    replaced fields."""
    from ganzoo import registry

    fields = registry.read_json(path)
    if not isinstance(fields, dict) or not fields:
        raise RunError(f"--recipe {path}: expected a JSON object of config fields to "
                       f"replace, e.g. {{\"augment\": \"translation,cutout\"}}; got "
                       f"{json.dumps(fields)[:80]}.")
    refused = sorted(set(fields) & set(_NOT_RECIPE))
    if refused:
        raise RunError(f"--recipe {path}: {', '.join(refused)} cannot be replaced by a "
                       f"recipe (they name the entry and its shipped weights); "
                       f"fields it may replace: everything else in the entry's config.")
    try:
        merged = registry.validate_config(dict(config, **fields))
    except registry.ConfigError as error:
        raise RunError(f"--recipe {path}: {str(error).removeprefix('<config>: ')}") from None
    return merged, fields


def _train(settings, config, strategy):
    import tensorflow as tf

    from ganzoo import distribute, training, zoo
    from ganzoo.plugins import load_plugins

    run_config = training.read_run_config(settings.out)
    existing = run_config.get("run")
    load_plugins(run_config or config)  # a checkpoint of a plugin's class needs it loaded
    resuming = training.has_checkpoint(settings.out)
    precision_change = resolve_resume(settings, existing) if resuming and existing else None
    if resuming and existing:  # the run goes on with its own recorded architecture
        config = training.run_entry_config(run_config)
    recipe_fields = {}
    if settings.recipe:
        config, recipe_fields = read_recipe(settings.recipe, config)
    if not settings.data:
        raise RunError(f"train needs --data (folder, .zip, .npz or tfds:NAME); "
                       f"{settings.name} was trained on: {config['data']['source']}")
    recipe = config.get("training", {})
    # A resume keeps the run's own step count and checkpoint interval unless given anew.
    recorded = (existing or {}) if resuming else {}
    batch_size = settings.batch_size or recipe.get("batch_size", 64)
    steps = settings.steps or recorded.get("steps") or recipe.get("steps")
    if not steps:
        raise RunError(f"train needs --steps N: {settings.name}'s recipe names no step count.")
    checkpoint_every = (settings.checkpoint_every or recorded.get("checkpoint_every")
                        or recipe.get("checkpoint_every", 500))
    precision = distribute.set_precision(settings.precision or "float32")
    distribute.check_global_batch(batch_size, strategy)
    chief = distribute.is_chief(strategy)
    # The data seed is part of a run: a resumed run continues its recorded order.
    data_seed = settings.seed or 0
    # Resuming under a new precision or recipe: the checkpoint's state goes into a model
    # rebuilt from the changed config.
    rebuild = (lambda: zoo.build(config)) if precision_change or recipe_fields else None
    with strategy.scope():
        model = training.restore(settings.out, build=rebuild)
        if model is not None and rebuild and chief:
            record_change(settings.out, run_config, config, model.train_steps, precision,
                          precision_change, settings.recipe, recipe_fields)
        if model is None:
            model = zoo.build(config, seed=settings.seed)
            initialized_from = init_from(model, settings.init_from, settings.seed) \
                if settings.init_from else None
            if chief:
                os.makedirs(settings.out, exist_ok=True)
                # What this run did beyond the entry's recipe (for resuming and for
                # `ganzoo publish`).
                run = {"data_seed": data_seed, "seed": settings.seed,
                       "precision": precision, "strategy": settings.strategy or "default",
                       "data": settings.data, "split": settings.split, "batch_size": batch_size,
                       "labels_csv": settings.labels_csv, "pairs": settings.pairs,
                       "steps": steps, "checkpoint_every": checkpoint_every}
                if initialized_from:
                    run["init_from"] = initialized_from
                if recipe_fields:
                    run["changes"] = [{"step": 0, "recipe": settings.recipe,
                                       "fields": recipe_fields}]
                training.atomic_write_text(os.path.join(settings.out, training.RUN_CONFIG),
                                           json.dumps(dict(config, run=run), indent=2))
        else:
            if settings.init_from:
                print(f"{settings.out} has a checkpoint: resuming it (--init_from applies to a "
                      f"new run only)")
            print(f"Resuming {settings.out} from step {model.train_steps}")
            data_seed = (existing or {}).get("data_seed", data_seed)
    # tf.data derives the shuffle order from the global seed and the op seed: set both, so
    # fresh and resumed runs see the same order (the model's own RNG state is checkpointed).
    tf.random.set_seed(data_seed)
    # A WGAN with fresh_real_batches takes n_critic real minibatches per step.
    images_per_step = batch_size * model.real_batches_per_step
    if model.translates_images:
        dataset = translation_data(settings, model, config, batch_size, data_seed)
    else:
        dataset = image_data(settings, model, config, images_per_step, data_seed)
    # Resume at the same place in the (seeded, repeating) data stream.
    dataset = dataset.skip(model.train_steps)
    if chief and resuming and existing and (steps, checkpoint_every) != (
            existing.get("steps"), existing.get("checkpoint_every")):
        record_totals(settings.out, steps, checkpoint_every)
    training.fit_gan(model, dataset, steps, settings.out, batch_size=images_per_step,
                     checkpoint_every=checkpoint_every,
                     verbose=1 if sys.stdout.isatty() else 2, write=chief)
    if not chief:
        print(f"Done: worker finished at step {model.train_steps}")
        return {"step": model.train_steps}
    state = training.read_state(settings.out)
    print(f"Done: {settings.out} at step {state.get('step')}, "
          f"{state.get('wall_time_s')} s of training")
    return state


def signal_name(number):
    import signal

    return signal.Signals(number).name


def resume_command(settings):
    """The command that resumes this run: the run records everything else."""
    import shlex

    return " ".join(["ganzoo", "train", shlex.quote(settings.name), "--out",
                     shlex.quote(str(settings.out))])


def record_totals(run_dir, steps, checkpoint_every):
    """A resume given a new --steps or --checkpoint_every: later resumes keep them."""
    from ganzoo import training

    run_config = training.read_run_config(run_dir)
    run_config["run"].update(steps=steps, checkpoint_every=checkpoint_every)
    training.atomic_write_text(os.path.join(run_dir, training.RUN_CONFIG),
                               json.dumps(run_config, indent=2))


def init_from(model, run_dir, seed):
    """Copies the networks of the run in `run_dir` (its latest readable checkpoint) into
    `model`'s by function-preserving widening (`ganzoo.nets.widen`): generator, EMA generator and
    discriminator, each as wide as or wider than the source's. Returns what the run records."""
    from ganzoo import training
    from ganzoo.nets.widen import widen_into

    source = training.restore(run_dir)
    if source is None:
        raise RunError(f"--init_from {run_dir}: no checkpoint there (it needs the "
                       f"{training.CHECKPOINT} of a ganzoo train run).")
    if type(source) is not type(model):
        raise RunError(f"--init_from {run_dir}: that run trains a {type(source).__name__}, "
                       f"this one a {type(model).__name__}.")
    pairs = [("generator", source.generator, model.generator),
             ("discriminator", source.discriminator, model.discriminator)]
    if source.ema_generator is not None and model.ema_generator is not None:
        pairs.append(("EMA generator", source.ema_generator, model.ema_generator))
    for role, old, new in pairs:
        try:
            widen_into(old, new, seed=seed or 0)
        except ValueError as error:
            raise RunError(f"--init_from {run_dir}: cannot copy its {role} into this "
                             f"recipe's: {error}") from None
    print(f"Initialised from {run_dir} (step {source.train_steps}), networks widened")
    parent = training.read_state(run_dir)  # what the new run's weights inherit
    return {"run": str(run_dir), "step": int(source.train_steps),
            "images_seen": parent.get("images_seen"), "wall_time_s": parent.get("wall_time_s"),
            "method": "function-preserving widening (ganzoo.nets.widen), fresh optimizers"}


def record_change(run_dir, run_config, config, step, precision, precision_change, recipe,
                  fields):
    """The run's config.json after a change part-way: the new config and precision, and in
    run.changes what changed at which step (`ganzoo publish` carries it into the record)."""
    from ganzoo import training

    run = dict(run_config["run"], precision=precision)
    change = {"step": step}
    if precision_change:
        change["precision"] = f"{precision_change[0]} -> {precision_change[1]}"
    if fields:
        change.update(recipe=recipe, fields=fields)
    run["changes"] = [*run.get("changes", []), change]
    training.atomic_write_text(os.path.join(run_dir, training.RUN_CONFIG),
                               json.dumps(dict(config, run=run), indent=2))
    print(f"Continuing {run_dir} from step {step} with "
          + ", ".join(f"{k} {v}" for k, v in change.items() if k not in ("step", "recipe")))


def image_data(settings, model, config, batch_size, data_seed):
    from ganzoo import data

    labels = config["data"].get("labels")
    return data.image_dataset(
        settings.data, model.image_shape, batch_size, repeat=True, seed=data_seed,
        data_dir=settings.data_dir, with_labels=model.conditional,
        split=settings.split or config["data"].get("split", "train"),
        labels=settings.labels_csv or (labels and os.path.join(
            os.path.dirname(os.path.abspath(settings.data)), labels)),
        classes=model.class_names, num_classes=model.num_classes)


def translation_data(settings, model, config, batch_size, data_seed):
    """(A, B) batches for an image-to-image entry; the held-out split (data.test_split)
    supplies the images the training preview translates."""
    from ganzoo import pairs

    options = dict(data_dir=settings.data_dir, labels=settings.labels_csv, kind=settings.pairs)
    test_split = config["data"].get("test_split")
    if test_split:
        held_out = pairs.translation_dataset(config, settings.data, 1, split=test_split,
                                             shuffle=False, repeat=False, **options)
        model.preview_sources = pairs.first_images(held_out, 8)
    return pairs.translation_dataset(config, settings.data, batch_size, split=settings.split,
                                     seed=data_seed, **options)


