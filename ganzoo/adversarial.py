"""What every adversarially trained model in ganzoo shares, noise-to-image (`ganzoo.gan.GAN`)
and image-to-image (`ganzoo.translation.ImageTranslator`) alike:

- one `keras.metrics.Mean` per reported loss (`loss_names`), listed in `metrics`;
- two optimizers, `compile(d_optimizer=..., g_optimizer=...)`, both kept through `.keras`
  files; the discriminator side and the generator side may each be several networks
  (CycleGAN: two of each), named by `discriminator_networks` / `generator_networks`;
- a seeded noise stream (`seed_generator`) whose state is checkpointed;
- replica-safe helpers for `train_step` under tf.distribute (`descend`, `draw_per_example`,
  `replica_mean`) and `report`, which returns the logs for `fit`.
"""
import copy

import keras
import tensorflow as tf

_DEFAULT_OPTIMIZER = {  # Radford et al. 2016, Section 4: Adam, lr 2e-4, beta_1 0.5.
    "class_name": "Adam",
    "config": {"learning_rate": 2e-4, "beta_1": 0.5},
}


def _replica_context():
    """(replica context or None, replicas in sync): (default context, 1) outside a strategy,
    (None, 1) in a cross-replica context."""
    context = tf.distribute.get_replica_context()
    return context, (context.num_replicas_in_sync if context is not None else 1)


class AdversarialModel(keras.Model):
    """Base of `GAN` and `ImageTranslator`; subclasses set `loss_names`, the network lists and
    override `train_step`."""

    loss_names = ("d_loss", "g_loss")
    default_optimizer = _DEFAULT_OPTIMIZER
    # What a family is, declared instead of probed: image-to-image models (ImageTranslator)
    # translate images, the others sample them from noise.
    translates_images = False
    # Real minibatches one train_step consumes (a WGAN with fresh_real_batches: n_critic).
    real_batches_per_step = 1
    # Columns of the training preview grid; the EMA copy of the generator, if the model has one.
    preview_cols = 8
    ema_generator = None

    def __init__(self, seed=None, evaluator=None, reference=None, entry_name=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        # What scores it, by name (a zoo entry's "evaluator" classifier and the shipped FID
        # "reference" statistics of its dataset); `ganzoo.metrics` looks them up.
        self.evaluator, self.reference = evaluator, reference
        # The zoo entry's own name ("dcgan-anime"; Keras' model name has "_" for "-"): what
        # exports and messages call the model.
        self.entry_name = entry_name

    @classmethod
    def zoo_options(cls, config, seed=None):
        """Constructor options every variant reads from a zoo config (see `from_zoo_config`)."""
        return dict(seed=seed, evaluator=config.get("evaluator"),
                    reference=config.get("reference"),
                    name=config.get("name", config["variant"]).replace("-", "_"),
                    entry_name=config.get("name"),
                    **config.get("objective", {}))

    @classmethod
    def from_zoo_config(cls, config, seed=None):
        """The model a (validated) zoo config describes, with fresh weights: each variant
        family builds its own networks from the config (`ganzoo.build` calls this)."""
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "evaluator": self.evaluator,
                "reference": self.reference, "entry_name": self.entry_name}

    @property
    def generator_networks(self):
        raise NotImplementedError

    @property
    def discriminator_networks(self):
        raise NotImplementedError

    @staticmethod
    def trainable_of(networks):
        return [v for network in networks for v in network.trainable_variables]

    def build(self, input_shape=None):
        # The sub-models are functional and already built; nothing is shape-dependent here.
        self.built = True

    @property
    def metrics(self):
        return list(self.loss_trackers.values())

    # ------------------------------------------------------------------- optimizers
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """`d_optimizer`/`g_optimizer`: optimizer instances, names or Keras configs; default
        to the variant's published optimizer. Remaining kwargs go to `keras.Model.compile`."""
        kwargs.setdefault("optimizer", None)  # no third, unused optimizer in checkpoints
        super().compile(**kwargs)
        self.d_optimizer = self._optimizer(d_optimizer)
        self.g_optimizer = self._optimizer(g_optimizer)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different optimizers.")
        # Create the optimizer slots now, in the caller's scope: a tf.distribute strategy
        # cannot create variables lazily inside its replicated train function.
        self.build_optimizers()

    def fit(self, *args, **kwargs):
        if not self.compiled:
            raise RuntimeError(
                f"{self.name} is not compiled: `ganzoo.load(name)` builds a model for sampling "
                f"and export only. Use `ganzoo.load(name, for_training=True)` to fine-tune it, "
                f"or `ganzoo.build(name)` to train from scratch (or call `compile()` first).")
        return super().fit(*args, **kwargs)

    def _optimizer(self, identifier):
        """An optimizer from an instance, name or config (a copy: Keras deserialises nested
        configs such as a learning-rate schedule in place). float16 gradients underflow:
        under a mixed_float16 policy it is wrapped in a dynamic LossScaleOptimizer (see
        `descend`)."""
        optimizer = keras.optimizers.get(copy.deepcopy(identifier or self.default_optimizer))
        if (self.dtype_policy.name == "mixed_float16"
                and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)):
            return keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def build_optimizers(self):
        self.d_optimizer.build(self.trainable_of(self.discriminator_networks))
        self.g_optimizer.build(self.trainable_of(self.generator_networks))

    @property
    def train_steps(self):
        """Completed training steps (one generator update per step in every variant)."""
        if not hasattr(self, "g_optimizer"):
            return 0
        return int(self.g_optimizer.iterations.numpy())

    def get_compile_config(self):
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
        }

    def compile_from_config(self, config):
        # Keras' default only rebuilds `self.optimizer`; rebuild both so that their variables
        # exist before the saved state (iterations, moments) is loaded into them.
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
        )

    # Keras saves a layer's own weights but not the state of its random seed generator; keep
    # it in the file too, so a resumed run continues the same noise stream.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["seed_generator_state"] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        own = self._trainable_variables + self._non_trainable_variables
        for index, variable in enumerate(own):
            variable.assign(store[str(index)])
        if "seed_generator_state" in store:
            self.seed_generator.state.assign(store["seed_generator_state"])

    # --------------------------------------------------------- helpers for train_step
    @staticmethod
    def draw_per_example(draw, batch_size):
        """`draw(n)` random values for this replica's `batch_size` examples. Under a
        tf.distribute strategy every replica draws the whole global batch from the same
        seed state and keeps its own slice, so replicas never share noise and N replicas with
        batch B/N see exactly the draws of one device with batch B."""
        context, replicas = _replica_context()
        if replicas == 1:
            return draw(batch_size)
        start = context.replica_id_in_sync_group * batch_size
        return draw(batch_size * replicas)[start:start + batch_size]

    @staticmethod
    def replica_mean(value):
        """Mean of a per-replica value over all replicas (the value itself on one device)."""
        context, replicas = _replica_context()
        if replicas == 1:
            return value
        return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)

    @staticmethod
    def descend(tape, loss, networks, optimizer):
        """One optimizer step on the weights of `networks` (a model or a list) along
        -grad(loss).

        Under a tf.distribute strategy each replica's loss is a mean over its share of the
        batch and the optimizer sums gradients over replicas, so the loss is divided by the
        number of replicas: the sum is then the gradient of the global-batch mean. With a
        float16 policy the optimizer is a LossScaleOptimizer and `scale_loss` scales the loss
        up (apply_gradients scales the gradients back and skips non-finite steps)."""
        _, replicas = _replica_context()
        networks = networks if isinstance(networks, (list, tuple)) else [networks]
        variables = AdversarialModel.trainable_of(networks)
        # `tape.gradient` must see the scaled loss computed inside the tape; do it via the
        # chain rule instead: d(c * loss) = c * d(loss), with output_gradients.
        scale = optimizer.scale_loss(tf.constant(1.0)) / replicas
        gradients = tape.gradient(loss, variables, output_gradients=tf.cast(scale, loss.dtype))
        # A variable the loss does not reach (the logit's bias under an input-gradient
        # penalty such as R1) has no gradient and no update, as in the papers' code.
        optimizer.apply_gradients([(gradient, variable) for gradient, variable
                                   in zip(gradients, variables) if gradient is not None])

    def report(self, **losses):
        """Updates the loss trackers and returns the logs dict for `fit`'s progress bar."""
        for name, value in losses.items():
            self.loss_trackers[name].update_state(value)
        logs = {name: tracker.result() for name, tracker in self.loss_trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15 reduces logs across workers with strategy.reduce(MEAN, v, axis=0),
            # which fails on scalars: hand it 1-element vectors (it returns scalars).
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    # ------------------------------------------------------------------ shipping
    def export(self, filepath, format="tf_saved_model", verbose=None, **kwargs):
        """Keras' `Model.export`: the model's serving signatures (those of `ganzoo.export`,
        e.g. z -> uint8 images) written to `filepath` as a SavedModel (format
        "tf_saved_model"), an ONNX file ("onnx") or a LiteRT flatbuffer ("litert"). (Keras'
        own would trace `call` and fail on a model that `fit` or `load` never called.)"""
        formats = {"tf_saved_model": "saved_model", "onnx": "onnx", "litert": "litert"}
        if format not in formats or kwargs:
            raise ValueError(f"{type(self).__name__}.export writes format='tf_saved_model', "
                             f"'onnx' or 'litert' (the serving signatures); got "
                             f"format={format!r}"
                             + (f" and {sorted(kwargs)}" if kwargs else "") + ".")
        from ganzoo.export import write_portable, write_saved_model

        path = write_saved_model(self, filepath) if format == "tf_saved_model" else \
            write_portable(self, filepath, formats[format])
        if verbose:
            print(f"Saved the serving signatures of {self.name} to {path} ({format})")
        return path

    def shipped_network(self):
        """The network whose weights a zoo entry ships (generator.weights.h5)."""
        raise NotImplementedError

    def preview(self, num, seed):
        """uint8 images showing training progress (the checkpoint callback's grid)."""
        raise NotImplementedError
