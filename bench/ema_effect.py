"""FID/KID of a run's EMA generator vs its raw generator: same checkpoint, same latent seeds, same
real images (issue 7: "show the EMA's FID effect on one entry").

    python bench/ema_effect.py --run runs/dcgan-anime --data ../shared/data/anime_faces_64.zip \
        --num 2000

Prints one JSON line per generator and the ratio raw/EMA of each number.
"""
import json

from absl import app, flags

flags.DEFINE_string("run", None, "run directory holding checkpoint.keras", required=True)
flags.DEFINE_string("data", None, "the real images the run was trained on", required=True)
flags.DEFINE_integer("num", 2000, "generated and real images per evaluation")
FLAGS = flags.FLAGS


def main(_):
    import os

    import keras

    import ganzoo  # noqa: F401  (registers the model classes)
    from ganzoo.metrics import evaluate

    model = keras.saving.load_model(os.path.join(FLAGS.run, "checkpoint.keras"))
    if model.ema_generator is None:
        raise SystemExit(f"{FLAGS.run} was trained without an EMA generator.")
    results = {}
    results["ema"] = evaluate(model, FLAGS.data, num_fake=FLAGS.num, num_real=FLAGS.num)
    # sample()/generate() draw from the EMA network: give it the raw weights for the 2nd pass.
    model.ema_generator.set_weights(model.generator.get_weights())
    results["raw"] = evaluate(model, FLAGS.data, num_fake=FLAGS.num, num_real=FLAGS.num)
    for name, numbers in results.items():
        print(json.dumps({"generator": name, "step": int(model.train_steps), **numbers}))
    print(json.dumps({f"raw/ema {key}": round(results["raw"][key] / results["ema"][key], 3)
                      for key in ("fid", "kid", "precision", "recall")
                      if results["ema"][key]}))


if __name__ == "__main__":
    app.run(main)
