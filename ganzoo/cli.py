"""The `ganzoo` command line (absl):

  ganzoo list
  ganzoo info NAME
  ganzoo sample NAME [--num 64] [--seed 0] [--cols 8] [--out grid.png]
                     [--labels blonde,black | --grid_by_class]   (conditional entries)
  ganzoo train NAME --data PATH_OR_TFDS [--steps N] [--out RUN_DIR] [--batch_size B]
  ganzoo export NAME --out DIR [--version 1] [--overwrite]
  ganzoo evaluate NAME --data PATH_OR_TFDS [--num 10000] [--num_real 10000] [--out r.json]
  ganzoo evaluate NAME --metrics fid [--num 2000] [--reference R]   (against shipped statistics)
  ganzoo translate NAME INPUT... --out DIR [--direction b2a] [--side_by_side grid.png]
                                            (image-to-image entries: files or folders)
  ganzoo publish NAME --run RUN_DIR [--float16] [--notes TEXT]
                     (maintainers: ship a finished run's weights and training record)

`train` resumes when RUN_DIR already holds a checkpoint: run the same command again.
"""
import json
import logging
import os
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_integer("num", 64, "sample: number of images.")
flags.DEFINE_integer("seed", None, "sample: noise seed (same seed, same images); "
                     "train: seed of a new run's noise.")
flags.DEFINE_integer("cols", None, "sample: grid columns (default: square-ish).")
flags.DEFINE_list("labels", None, "sample: class labels (ints or names), one for all or "
                  "one per sample; default: uniform over classes.")
flags.DEFINE_bool("grid_by_class", False, "sample: one row per class, --num columns, the "
                  "same noise down each column.")
flags.DEFINE_string("out", None, "sample: PNG path; train: run directory; export: directory.")
flags.DEFINE_string("data", None, "train: image folder, .zip, .npz or tfds:NAME.")
flags.DEFINE_string("data_dir", None, "train: tensorflow-datasets data_dir for tfds:NAME.")
flags.DEFINE_string("split", None, "train: split of an .npz or tfds source, sliceable as in "
                    "tensorflow-datasets: train, test, train[:50000] (default: the entry's).")
flags.DEFINE_list("metrics", ["fid", "kid", "pr"], "evaluate: fid,kid,pr (Inception features, "
                  "against --data; computed together), cls (evaluator classifier: label "
                  "accuracy or class histogram; no data needed), parzen (pixels; MNIST .npz). "
                  "Image-to-image entries: l1,fid (pix2pix) or cls,cycle (CycleGAN) on the "
                  "held-out split of --data (their default).")
flags.DEFINE_integer("steps", None, "train: total training steps (default: the entry's).")
flags.DEFINE_integer("batch_size", None, "train: batch size (default: the entry's).")
flags.DEFINE_integer("checkpoint_every", None, "train: steps between checkpoints.")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multiworker", "tpu"],
                  "train: tf.distribute strategy (multiworker reads TF_CONFIG).")
flags.DEFINE_enum("precision", "float32", ["float32", "mixed_bfloat16", "mixed_float16"],
                  "train: Keras dtype policy.")
flags.DEFINE_string("labels_csv", None, "train: tags.csv:column labelling a folder/zip "
                    "(default: the entry's, next to --data).")
flags.DEFINE_integer("version", 1, "export: model version sub-directory.")
flags.DEFINE_bool("overwrite", False, "export: replace an existing non-empty version.")
flags.DEFINE_integer("num_real", None, "evaluate: real images (default: --num).")
flags.DEFINE_string("evaluator", None, "evaluate: classifier for --metrics cls (default: "
                    "the entry's, e.g. mnist, fashion-mnist, anime-hair).")
flags.DEFINE_string("reference", None, "evaluate --metrics fid without --data: the shipped "
                    "reference statistics to compare with (default: the entry's; "
                    "python -m ganzoo.metrics.reference builds others).")
flags.DEFINE_bool("record", False, "evaluate: write the results into the entry's zoo config "
                  "(maintainers, after training).")
flags.DEFINE_string("direction", None, "translate: a2b (default) or b2a (two-way models).")
flags.DEFINE_string("side_by_side", None, "translate: also write one PNG of input | output "
                    "rows here.")
flags.DEFINE_enum("pairs", None, ["edges", "side_by_side", "unpaired"], "train (image-to-"
                  "image): how --data makes (A, B) pairs (default: the entry's data.pairs).")
flags.DEFINE_string("run", None, "export/sample/evaluate: use the generator of this training "
                    "run dir; publish: the run to ship.")
flags.DEFINE_bool("float16", False, "publish: store the weights at half precision.")
flags.DEFINE_string("notes", None, "publish: a note for the entry's training record.")

COMMANDS = ("list", "info", "sample", "train", "export", "evaluate", "translate", "publish")
USAGE = "usage: ganzoo {" + ",".join(COMMANDS) + "} [NAME] [--flags]; see ganzoo --help"


class UsageError(ValueError):
    pass


def _model_for_sampling(name):
    from ganzoo import zoo

    if FLAGS.run:
        from ganzoo import training

        model = training.restore(FLAGS.run)
        if model is None:
            raise UsageError(f"--run {FLAGS.run} holds no checkpoint.keras.")
        # A checkpoint holds the networks; the evaluator and FID reference are named in the
        # run's config.
        config = training.read_run_config(FLAGS.run)
        model.evaluator, model.reference = config.get("evaluator"), config.get("reference")
        return model
    return zoo.load(name)


def cmd_list(_):
    from ganzoo import zoo

    for name in zoo.list_models():
        config = zoo.get_config(name)
        status = "pretrained" if config.get("weights") else "no weights yet"
        print(f"{name:24s} {config['variant']:10s} {'x'.join(map(str, config['image_shape'])):10s}"
              f" {status}")


def cmd_info(name):
    from ganzoo import zoo

    print(json.dumps(zoo.get_config(name), indent=2))


def cmd_sample(name):
    from ganzoo.images import save_grid

    out = FLAGS.out or f"{name}.png"
    model = _model_for_sampling(name)
    if hasattr(model, "translate"):
        raise UsageError(f"{name} translates images rather than sampling them: use "
                         f"ganzoo translate {name} INPUT... --out DIR.")
    cols = FLAGS.cols
    if FLAGS.grid_by_class:
        images, cols = model.sample_by_class(FLAGS.num, seed=FLAGS.seed), FLAGS.num
    else:
        labels = FLAGS.labels
        if labels is not None:
            labels = [int(v) if v.lstrip("-").isdigit() and v not in (model.class_names or [])
                      else v for v in labels]
            labels = labels[0] if len(labels) == 1 else labels
        images = model.sample(FLAGS.num, labels=labels, seed=FLAGS.seed)
    save_grid(images, out, cols=cols)
    print(f"Wrote {len(images)} samples from {name} to {out}")


def cmd_train(name):
    import tensorflow as tf

    from ganzoo import data, distribute, training, zoo

    config = zoo.get_config(name)
    if not FLAGS.data:
        raise UsageError(f"train needs --data (folder, .zip, .npz or tfds:NAME); "
                         f"{name} was trained on: {config['data']['source']}")
    run_dir = FLAGS.out or os.path.join("runs", name)
    recipe = config.get("training", {})
    batch_size = FLAGS.batch_size or recipe.get("batch_size", 64)
    steps = FLAGS.steps or recipe.get("steps")
    if not steps or steps <= 0:
        raise UsageError("train needs --steps N (a positive number of training steps).")
    precision = distribute.set_precision(FLAGS.precision)
    strategy = distribute.make_strategy(FLAGS.strategy)
    distribute.check_global_batch(batch_size, strategy)
    chief = distribute.is_chief(strategy)
    with strategy.scope():
        model = training.restore(run_dir)
        if model is None:
            model = zoo.build(config, seed=FLAGS.seed)
            if chief:
                os.makedirs(run_dir, exist_ok=True)
                # The data seed is part of the run: a resumed run continues the same order.
                # What this run did beyond the entry's recipe (for `ganzoo publish`).
                run_config = dict(config, run={"data_seed": FLAGS.seed or 0,
                                               "seed": FLAGS.seed,
                                               "precision": precision,
                                               "strategy": FLAGS.strategy,
                                               "data": FLAGS.data, "split": FLAGS.split,
                                               "batch_size": batch_size})
                training.atomic_write_text(os.path.join(run_dir, "config.json"),
                                           json.dumps(run_config, indent=2))
        else:
            print(f"Resuming {run_dir} from step {model.train_steps}")
    data_seed = training.read_run_config(run_dir).get("run", {}).get("data_seed",
                                                                       FLAGS.seed or 0)
    # tf.data derives the shuffle order from the global seed and the op seed: set both, so
    # fresh and resumed runs see the same order (the model's own RNG state is checkpointed).
    tf.random.set_seed(data_seed)
    # A WGAN with fresh_real_batches takes n_critic real minibatches per step.
    images_per_step = batch_size * getattr(model, "real_batches_per_step", 1)
    if hasattr(model, "translate"):
        dataset = _translation_data(model, config, batch_size, data_seed)
    else:
        dataset = _image_data(model, config, images_per_step, data_seed)
    # Resume at the same place in the (seeded, repeating) data stream.
    dataset = dataset.skip(model.train_steps)
    training.fit_gan(model, dataset, steps, run_dir, batch_size=images_per_step,
                     checkpoint_every=FLAGS.checkpoint_every or recipe.get("checkpoint_every",
                                                                            500),
                     verbose=1 if sys.stdout.isatty() else 2, write=chief)
    state = training.read_state(run_dir)
    print(f"Done: {run_dir} at step {state.get('step')}, "
          f"{state.get('wall_time_s')} s of training")


def _image_data(model, config, batch_size, data_seed):
    from ganzoo import data

    labels = config["data"].get("labels")
    return data.image_dataset(
        FLAGS.data, model.image_shape, batch_size, repeat=True, seed=data_seed,
        data_dir=FLAGS.data_dir, with_labels=model.conditional,
        split=FLAGS.split or config["data"].get("split", "train"),
        labels=FLAGS.labels_csv or (labels and os.path.join(
            os.path.dirname(os.path.abspath(FLAGS.data)), labels)),
        classes=model.class_names if labels or FLAGS.labels_csv else None)


def _translation_data(model, config, batch_size, data_seed):
    """(A, B) batches for an image-to-image entry; the held-out split (data.test_split)
    supplies the images the training preview translates."""
    from ganzoo import pairs

    options = dict(data_dir=FLAGS.data_dir, labels=FLAGS.labels_csv, kind=FLAGS.pairs)
    test_split = config["data"].get("test_split")
    if test_split:
        held_out = pairs.translation_dataset(config, FLAGS.data, 1, split=test_split,
                                             shuffle=False, repeat=False, **options)
        model.preview_sources = pairs.first_images(held_out, 8)
    return pairs.translation_dataset(config, FLAGS.data, batch_size, split=FLAGS.split,
                                     seed=data_seed, **options)


def cmd_export(name):
    from ganzoo.export import export

    if not FLAGS.out:
        raise UsageError("export needs --out DIR (the TF Serving model base directory).")
    path = export(_model_for_sampling(name), FLAGS.out, version=FLAGS.version, name=name,
                  overwrite=FLAGS.overwrite)
    print(f"Exported {name} to {path}")


def cmd_evaluate(name):
    from ganzoo import zoo
    from ganzoo.metrics import evaluate_quality

    model = _model_for_sampling(name)
    results = {"entry": name}
    if hasattr(model, "translate"):  # image-to-image: scored on the held-out split
        from ganzoo.metrics.translation import evaluate_translation

        if not FLAGS.data:
            raise UsageError(f"evaluate {name} needs --data (its held-out split is read "
                             f"from it).")
        default = FLAGS["metrics"].value == FLAGS["metrics"].default
        results.update(evaluate_translation(
            model, zoo.get_config(name), FLAGS.data, None if default else FLAGS.metrics,
            num=FLAGS["num"].value if FLAGS["num"].present else None,
            evaluator=FLAGS.evaluator, data_dir=FLAGS.data_dir, labels=FLAGS.labels_csv))
    else:
        results.update(evaluate_quality(
            model, FLAGS.data, metrics=FLAGS.metrics, num=FLAGS.num,
            num_real=FLAGS.num_real, evaluator=FLAGS.evaluator, seed=FLAGS.seed or 0,
            data_dir=FLAGS.data_dir, reference=FLAGS.reference))
    text = json.dumps(results, indent=2)
    print(text)
    if FLAGS.out:
        with open(FLAGS.out, "w") as f:
            f.write(text + "\n")
    if FLAGS.record:
        zoo.record_quality(name, results)
        print(f"Recorded in {name}'s config (quality).")


def cmd_translate(name, inputs):
    from ganzoo.images import read_images, save_grid, write_image

    if not inputs:
        raise UsageError("translate needs one or more INPUT image files or folders.")
    if not FLAGS.out:
        raise UsageError("translate needs --out DIR for the translated images.")
    model = _model_for_sampling(name)
    if not hasattr(model, "translate"):
        raise UsageError(f"{name} is not an image-to-image model; use ganzoo sample {name}.")
    paths, images = read_images(inputs)
    outputs = model.translate(images, FLAGS.direction)
    os.makedirs(FLAGS.out, exist_ok=True)
    for path, image in zip(paths, outputs):
        stem = os.path.splitext(os.path.basename(path))[0]
        write_image(image, os.path.join(FLAGS.out, f"{stem}.png"))
    print(f"Translated {len(paths)} image(s) with {name} into {FLAGS.out}")
    if FLAGS.side_by_side:
        save_grid(model.side_by_side(images, FLAGS.direction), FLAGS.side_by_side, cols=1)
        print(f"Wrote input | output rows to {FLAGS.side_by_side}")


def cmd_publish(name):
    from ganzoo import zoo

    if not FLAGS.run:
        raise UsageError("publish needs --run RUN_DIR (a finished ganzoo train run).")
    config = zoo.publish_run(FLAGS.run, name, float16=FLAGS.float16, notes=FLAGS.notes)
    print(json.dumps({"weights": config["weights"], "training": config["training"]}, indent=2))
    print(f"Published {FLAGS.run} as {name}; measure it next: ganzoo evaluate {name} --record")


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        raise app.UsageError(USAGE)
    command, args = argv[1], argv[2:]
    extra = ()
    if command == "list":
        target = None
    elif command == "translate" and args:
        target, extra = args[0], (args[1:],)
    elif len(args) != 1:
        raise app.UsageError(f"ganzoo {command} takes one zoo entry NAME; got {args or 'none'}.")
    else:
        target = args[0]
    from ganzoo import data, training, zoo

    # FileNotFoundError covers missing Inception weights (InceptionWeightsError).
    known = (ValueError, KeyError, FileExistsError, FileNotFoundError, zoo.WeightsError,
             data.DataError, training.NonFiniteLossError, training.CheckpointError)
    try:
        globals()[f"cmd_{command}"](target, *extra)
    except known as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"ganzoo {command}: error: {message}", file=sys.stderr)
        return 2
    return 0


def run():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app.run(main)


if __name__ == "__main__":
    run()
