"""The `ganzoo` command line: `ganzoo --help` lists the commands, `ganzoo COMMAND --help` a
command's flags.

  ganzoo list | info NAME                        (no TensorFlow: answers in well under 1 s)
  ganzoo sample NAME [--num 64] [--seed 0] [--out grid.png]
  ganzoo train NAME --data PATH_OR_TFDS [--steps N] [--out RUN_DIR]    (reruns resume)
  ganzoo export NAME --out DIR
  ganzoo evaluate NAME [--data PATH_OR_TFDS] [--metrics fid,kid,pr]
  ganzoo translate NAME INPUT... --out DIR       (image-to-image entries)
  ganzoo publish NAME --run RUN_DIR              (maintainers)

Plain argparse with one sub-parser per command: absl flags are one global set, so each
command could not list only its own flags. TensorFlow is imported only by the commands that
run a model, with its C++ start-up log silenced first.
"""
import argparse
import dataclasses
import json
import logging
import os
import sys

from ganzoo.checks import format_bytes
from ganzoo.startup import import_tensorflow_quietly

# A grid or a sample batch above this is refused with its size (sampling streams in batches
# in Python, `GAN.iter_samples`, but a PNG grid is one image in memory).
GRID_LIMIT_BYTES = 1 << 30


class UsageError(ValueError):
    pass


# ------------------------------------------------------------------ argument types
def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def comma_list(text):
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("must be a comma-separated list, got nothing")
    return values


def build_parser():
    parser = argparse.ArgumentParser(
        prog="ganzoo",
        description="A zoo of pretrained generative adversarial networks (Keras 3 / "
                    "TensorFlow): sample, train, evaluate, translate and export them.",
        epilog="Run 'ganzoo COMMAND --help' for a command's flags. Example: ganzoo sample "
               "dcgan-anime --num 64 --seed 0 --out faces.png")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name, help_text, description=None):
        sub = commands.add_parser(name, help=help_text, description=description or help_text)
        if name != "list":
            sub.add_argument("name", metavar="NAME", help="zoo entry (see 'ganzoo list')")
        return sub

    def run_flag(sub, what):
        sub.add_argument("--run", metavar="RUN_DIR",
                         help=f"{what} the generator of this 'ganzoo train' run instead of "
                              f"the shipped weights")

    command("list", "list the zoo's entries")
    command("info", "print an entry's config (architecture, recipe, weights, quality) and "
                    "its training record")

    sample = command("sample", "write a PNG grid of samples from an entry")
    sample.add_argument("--num", type=positive_int, default=64,
                        help="number of images (with --grid_by_class: columns per class; "
                             "default 64)")
    sample.add_argument("--seed", type=non_negative_int,
                        help="noise seed: the same seed gives the same images")
    sample.add_argument("--cols", type=positive_int, help="grid columns (default: square-ish)")
    sample.add_argument("--labels", type=comma_list,
                        help="conditional entries: class labels (ints or names), one for all "
                             "or one per sample (default: uniform over classes)")
    sample.add_argument("--grid_by_class", action="store_true",
                        help="conditional entries: one row per class, the same noise down "
                             "each column")
    sample.add_argument("--truncation", type=float, metavar="T",
                        help="the truncation trick: a threshold > 0 on |z_i| (noise redrawn "
                             "beyond it; e.g. 1.0) for z-space entries, psi in [0, 1] toward "
                             "the mean w for StyleGAN entries; fewer odd samples, less "
                             "variety (default: none)")
    sample.add_argument("--out", help="PNG path (default: NAME.png)")
    run_flag(sample, "sample")

    train = command("train", "train an entry's recipe on your data; rerun to resume",
                    "Train an entry's architecture and recipe on --data, checkpointing into "
                    "--out. Rerunning the same command resumes from the last checkpoint; "
                    "flags left out on a resume take the run's recorded values.")
    train.add_argument("--data", help="image folder, .zip, .npz or tfds:NAME (required for a "
                                      "new run; a resumed run defaults to its own)")
    train.add_argument("--data_dir", help="tensorflow-datasets data_dir for tfds:NAME")
    train.add_argument("--split", help="split of an .npz or tfds source, sliceable as in "
                                       "tensorflow-datasets: train, test, train[:50000] "
                                       "(default: the entry's)")
    train.add_argument("--steps", type=positive_int,
                       help="total training steps (default: the entry's recipe)")
    train.add_argument("--batch_size", type=positive_int,
                       help="batch size (default: the entry's recipe)")
    train.add_argument("--checkpoint_every", type=positive_int,
                       help="steps between checkpoints (default: the entry's, else 500)")
    train.add_argument("--seed", type=non_negative_int,
                       help="seed of a new run's weights, noise and data order")
    train.add_argument("--strategy", choices=["default", "mirrored", "multiworker", "tpu"],
                       help="tf.distribute strategy (multiworker reads TF_CONFIG; default: "
                            "one device)")
    train.add_argument("--precision",
                       choices=["float32", "mixed_bfloat16", "mixed_float16", "auto"],
                       help="Keras dtype policy (default float32); auto: mixed_bfloat16 on "
                            "CPUs with AVX512_BF16/AMX, mixed_float16 on GPUs, else float32")
    train.add_argument("--recipe", metavar="FILE.json",
                       help="a JSON object of config fields replacing the entry's (e.g. "
                            "{\"augment\": \"translation,cutout\"}); on a resume, fields "
                            "that add no variables continue the run with the change recorded")
    train.add_argument("--init_from", metavar="RUN_DIR",
                       help="start a new run from another run's latest checkpoint, its "
                            "networks copied into this recipe's (wider) ones keeping their "
                            "function (ganzoo.nets.widen); "
                            "optimizers start afresh (ignored when --out already has a "
                            "checkpoint)")
    train.add_argument("--labels_csv", help="tags.csv:column labelling a folder/zip "
                                            "(default: the entry's, next to --data)")
    train.add_argument("--pairs", choices=["edges", "side_by_side", "unpaired"],
                       help="image-to-image entries: how --data makes (A, B) pairs "
                            "(default: the entry's)")
    train.add_argument("--out", help="run directory (default: runs/NAME)")

    export = command("export", "write a TensorFlow Serving SavedModel, an ONNX or a LiteRT "
                               "model")
    export.add_argument("--out", required=True, metavar="DIR",
                        help="model base directory: a SavedModel goes to DIR/NAME/VERSION/, "
                             "ONNX to DIR/NAME.onnx, LiteRT to DIR/NAME.tflite")
    export.add_argument("--format", choices=["saved_model", "onnx", "litert"],
                        default="saved_model",
                        help="saved_model (TF Serving, default), onnx (onnxruntime and other "
                             "ONNX runtimes) or litert (TFLite / LiteRT, phones and edge "
                             "devices); onnx and litert need pip install \"ganzoo[export]\"")
    export.add_argument("--version", type=positive_int, default=1,
                        help="model version sub-directory (default 1)")
    export.add_argument("--overwrite", action="store_true",
                        help="replace an existing non-empty version")
    run_flag(export, "export")

    evaluate = command("evaluate", "measure sample quality (FID, KID, precision/recall, ...)")
    evaluate.add_argument("--data", help="real images: folder, .zip, .npz or tfds:NAME "
                                         "(without it: FID against shipped statistics)")
    evaluate.add_argument("--data_dir", help="tensorflow-datasets data_dir for tfds:NAME")
    evaluate.add_argument("--metrics", type=comma_list,
                          help="fid,kid,pr (Inception features, computed together; the "
                               "default), cls (the evaluator classifier: label accuracy or "
                               "class histogram), parzen (MNIST .npz). Image-to-image "
                               "entries: l1,fid (pix2pix) or cls,cycle (CycleGAN)")
    evaluate.add_argument("--num", type=positive_int,
                          help="generated images (default 10000; image-to-image: the whole "
                               "held-out split)")
    evaluate.add_argument("--num_real", type=positive_int,
                          help="real images (default: --num)")
    evaluate.add_argument("--seed", type=non_negative_int, default=0,
                          help="noise seed (default 0)")
    evaluate.add_argument("--evaluator", help="classifier for --metrics cls (default: the "
                                              "entry's, e.g. mnist, anime-hair)")
    evaluate.add_argument("--reference", help="without --data: the shipped reference "
                                              "statistics for FID (default: the entry's)")
    evaluate.add_argument("--labels_csv", help="image-to-image entries: tags.csv:column of "
                                               "the held-out data")
    evaluate.add_argument("--out", help="also write the results to this JSON file")
    evaluate.add_argument("--record", action="store_true",
                          help="maintainers: write the results into the entry's config (the "
                               "shipped weights only; a run's results are recorded by "
                               "'publish --quality')")
    run_flag(evaluate, "evaluate")

    translate = command("translate", "translate image files with an image-to-image entry")
    translate.add_argument("inputs", nargs="+", metavar="INPUT",
                           help="image files or folders of images")
    translate.add_argument("--out", required=True, metavar="DIR",
                           help="folder for the translated PNGs")
    translate.add_argument("--direction", help="a2b (default) or b2a (two-way models)")
    translate.add_argument("--side_by_side", metavar="PNG",
                           help="also write one PNG of input | output rows")
    run_flag(translate, "translate with")

    publish = command("publish", "maintainers: ship a finished run's weights as the entry")
    publish.add_argument("--run", required=True, metavar="RUN_DIR",
                         help="the finished 'ganzoo train' run")
    publish.add_argument("--float16", action="store_true",
                         help="store the weights at half precision")
    publish.add_argument("--notes", help="a note for the entry's training record")
    publish.add_argument("--quality", nargs="+", default=[], metavar="RESULTS_JSON",
                         help="results of 'ganzoo evaluate NAME --run RUN --out FILE' to record "
                              "as the entry's quality (refused unless measured on exactly the "
                              "weights published)")
    return parser


# ------------------------------------------------------------------ helpers
def model_for_sampling(name, run):
    from ganzoo import zoo

    if run:
        from ganzoo import training

        config = training.read_run_config(run)
        from ganzoo.plugins import load_plugins

        load_plugins(config)
        # A run trained under a mixed policy is sampled and scored in float32, as its
        # published weights will be: its state goes into a float32 rebuild.
        mixed = config.get("run", {}).get("precision", "float32") != "float32"
        model = training.restore(run, build=(lambda: zoo.build(
            training.run_entry_config(config))) if mixed else None)
        if model is None:
            raise UsageError(f"--run {run} holds no checkpoint.keras.")
        # Checkpoints from before the scorers were part of the model's config.
        model.evaluator = model.evaluator or config.get("evaluator")
        model.reference = model.reference or config.get("reference")
        return model
    return zoo.load(name)


def measured_on(model, run):
    """Which weights an evaluation measured: `publish --quality` checks them against the
    weights it ships (so a run's results are recorded only for exactly those weights)."""
    from ganzoo.publish import weights_fingerprint

    return {"weights": f"run {run} at step {model.train_steps}" if run else "shipped",
            "weights_fingerprint": weights_fingerprint(model.shipped_network())}


# ------------------------------------------------------------------ commands
def cmd_list(args):
    from ganzoo import registry

    broken = []
    for name in registry.list_models():
        try:
            config = registry.get_config(name)
        except registry.ConfigError as error:
            broken.append(str(error))
            print(f"{name:24s} {'?':10s} {'':10s} invalid config (see below)")
            continue
        status = "pretrained" if config.get("weights") else "no weights yet"
        shape = "x".join(map(str, config["image_shape"]))
        print(f"{name:24s} {config['variant']:10s} {shape:10s} {status}")
    for message in broken:
        print(f"ganzoo list: error: {message}", file=sys.stderr)
    return 2 if broken else 0


def cmd_info(args):
    from ganzoo import registry

    config = registry.get_config(args.name)
    record = registry.training_record(args.name)
    print(json.dumps({**config, **({"training_record": record} if record else {})},
                     indent=2))


def check_grid_size(num, image_shape):
    size = num * int(image_shape[0]) * int(image_shape[1]) * int(image_shape[2])
    if size > GRID_LIMIT_BYTES:
        raise UsageError(
            f"--num {num} would make a grid of {format_bytes(size)} in memory (limit "
            f"{format_bytes(GRID_LIMIT_BYTES)}, about {GRID_LIMIT_BYTES // (size // num):,} "
            f"images of {'x'.join(map(str, image_shape))}). Sample fewer, or stream them "
            f"in Python: for batch in model.iter_samples(n, seed=0): ...")


def cmd_sample(args):
    from ganzoo import registry

    config = registry.get_config(args.name)
    rows = len(config.get("class_names") or []) or config.get("num_classes") or 1
    check_grid_size(args.num * (rows if args.grid_by_class else 1), config["image_shape"])
    out = args.out or f"{args.name}.png"
    import_tensorflow_quietly()
    from ganzoo.images import save_grid

    model = model_for_sampling(args.name, args.run)
    if model.translates_images:
        raise UsageError(f"{args.name} translates images rather than sampling them: use "
                         f"ganzoo translate {args.name} INPUT... --out DIR.")
    cols = args.cols
    if args.grid_by_class:
        images = model.sample_by_class(args.num, seed=args.seed, truncation=args.truncation)
        cols = cols or args.num
    else:
        labels = args.labels
        if labels is not None:
            labels = [int(v) if v.lstrip("-").isdigit() and v not in (model.class_names or [])
                      else v for v in labels]
            labels = labels[0] if len(labels) == 1 else labels
        images = model.sample(args.num, labels=labels, seed=args.seed,
                              truncation=args.truncation)
    save_grid(images, out, cols=cols)
    print(f"Wrote {len(images)} samples from {args.name} to {out}")


def cmd_train(args):
    from ganzoo import registry

    registry.get_config(args.name)  # an unknown name is refused before TensorFlow loads
    import_tensorflow_quietly()
    from ganzoo import runs, training

    settings = runs.RunSettings(**{field.name: getattr(args, field.name)
                                   for field in dataclasses.fields(runs.RunSettings)})
    try:
        runs.run(settings)
    except training.TrainingInterrupted as stop:
        print(f"Stopped by {runs.signal_name(stop.signal_number)} at step {stop.step} of "
              f"{stop.total_steps}; the checkpoint is saved in {settings.out}. Resume with "
              f"the same command: {runs.resume_command(settings)}", file=sys.stderr)
        return 128 + stop.signal_number


def cmd_export(args):
    import_tensorflow_quietly()
    from ganzoo.export import export

    path = export(model_for_sampling(args.name, args.run), args.out, version=args.version,
                  name=args.name, overwrite=args.overwrite, format=args.format)
    print(f"Exported {args.name} to {path}")


def cmd_evaluate(args):
    from ganzoo import registry

    config = registry.get_config(args.name)
    if args.record and args.run:
        # Refused before the (long) measurement: --record describes the shipped weights.
        raise UsageError(f"--record writes into {args.name}'s shipped entry, but --run "
                         f"{args.run} is not what it ships. Keep the results with --out FILE "
                         f"and record them when publishing the run: ganzoo publish "
                         f"{args.name} --run {args.run} --quality FILE.")
    import_tensorflow_quietly()
    model = model_for_sampling(args.name, args.run)
    results = {"entry": args.name}
    if model.translates_images:  # image-to-image: scored on the held-out split
        from ganzoo.metrics.translation import evaluate_translation

        if not args.data:
            raise UsageError(f"evaluate {args.name} needs --data (its held-out split is read "
                             f"from it).")
        results.update(evaluate_translation(
            model, config, args.data, args.metrics, num=args.num, evaluator=args.evaluator,
            data_dir=args.data_dir, labels=args.labels_csv))
    else:
        from ganzoo.metrics import evaluate_quality

        results.update(evaluate_quality(
            model, args.data, metrics=args.metrics or ("fid", "kid", "pr"),
            num=args.num or 10_000, num_real=args.num_real, evaluator=args.evaluator,
            seed=args.seed, data_dir=args.data_dir, reference=args.reference))
    results["measured_on"] = measured_on(model, args.run)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.record:
        from ganzoo.publish import record_quality

        record_quality(args.name, results)
        print(f"Recorded in {args.name}'s config (quality).")


def cmd_translate(args):
    import_tensorflow_quietly()
    from ganzoo.images import read_images, save_grid, write_image

    model = model_for_sampling(args.name, args.run)
    if not model.translates_images:
        raise UsageError(f"{args.name} is not an image-to-image model; use "
                         f"ganzoo sample {args.name}.")
    paths, images = read_images(args.inputs)
    outputs = model.translate(images, args.direction)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out} is a file; give a folder for the translated "
                         f"images.")
    os.makedirs(args.out, exist_ok=True)
    names = output_names(paths)
    for name, image in zip(names, outputs):
        write_image(image, os.path.join(args.out, name))
    print(f"Translated {len(paths)} image(s) with {args.name} into {args.out}")
    if args.side_by_side:
        save_grid(model.side_by_side(images, args.direction), args.side_by_side, cols=1)
        print(f"Wrote input | output rows to {args.side_by_side}")


def output_names(paths):
    """One distinct PNG name per input: the input's stem (a.jpg -> a.png), or, where stems
    collide (a.jpg and a.png, or x/a.png and y/a.png), the stem with the extension and then
    the parent folder, so no output is written over another."""
    def name(path, depth):
        path = os.path.normpath(path)
        stem, extension = os.path.splitext(os.path.basename(path))
        parts = [stem] + ([extension.lstrip(".")] if depth >= 1 and extension else [])
        folders = os.path.dirname(path).split(os.sep)[::-1]
        parts = [*reversed([f for f in folders if f][:max(0, depth - 1)]), *parts]
        return "_".join(parts) + ".png"

    depths = [0] * len(paths)
    while True:
        names = [name(path, depth) for path, depth in zip(paths, depths)]
        counts = {n: names.count(n) for n in names}
        clashing = [i for i, n in enumerate(names) if counts[n] > 1]
        if not clashing:
            return names
        if all(depths[i] > len(os.path.normpath(paths[i]).split(os.sep)) for i in clashing):
            return [f"{i:05d}_{n}" if counts[n] > 1 else n for i, n in enumerate(names)]
        for i in clashing:
            depths[i] += 1


def cmd_publish(args):
    import_tensorflow_quietly()
    from ganzoo.publish import publish_run

    from ganzoo.registry import training_record

    quality = []
    for path in args.quality:
        try:
            with open(path) as f:
                quality.append((path, json.load(f)))
        except json.JSONDecodeError as error:
            raise UsageError(f"--quality {path} is not a JSON file of evaluation results "
                             f"({error}).") from None
    config = publish_run(args.run, args.name, float16=args.float16, notes=args.notes,
                         quality=quality)
    print(json.dumps({"weights": config["weights"], "quality": config.get("quality"),
                      "training_record": training_record(args.name)}, indent=2))
    if quality:
        print(f"Published {args.run} as {args.name} with the quality measured on it.")
    else:
        print(f"Published {args.run} as {args.name}; measure it next: "
              f"ganzoo evaluate {args.name} --record")


def known_errors():
    """The exceptions that mean bad input or a refused operation: printed as one line."""
    from ganzoo import registry

    known = [ValueError, KeyError, OSError, registry.WeightsError]
    if "tensorflow" in sys.modules:  # only commands that ran a model can raise these
        from ganzoo import data, training

        known += [data.DataError, training.NonFiniteLossError, training.CheckpointError,
                  training.RunDirectoryError]
    return tuple(known)


class Terminated(KeyboardInterrupt):
    """SIGTERM outside the training loop (which saves and stops on its own)."""


def _terminate(number, frame):
    raise Terminated()


def main(argv=None):
    import signal
    import threading

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return globals()[f"cmd_{args.command}"](args) or 0
    except KeyboardInterrupt as stop:
        name = "SIGTERM" if isinstance(stop, Terminated) else "Interrupted"
        print(f"ganzoo {args.command}: {name} before any training step was saved; files "
              f"already written are complete (every file is written whole or not at all)."
              if args.command == "train" else f"ganzoo {args.command}: {name}.",
              file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    except Exception as error:
        if not isinstance(error, known_errors()):
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"ganzoo {args.command}: error: {message}", file=sys.stderr)
        return 2


def run():
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())


if __name__ == "__main__":
    run()
