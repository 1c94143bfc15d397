"""Learning-rate schedules that zoo configs name (Keras-serializable, so checkpoints keep them)."""
import keras
from keras import ops


@keras.saving.register_keras_serializable("ganzoo")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`initial` for `constant_steps`, then linearly down to 0 over `decay_steps`: CycleGAN's
    schedule (Zhu et al. 2017, Section 4: 100 epochs at 2e-4, then 100 decaying to zero)."""

    def __init__(self, initial, constant_steps, decay_steps):
        if not initial > 0 or constant_steps < 0 or decay_steps < 1:
            raise ValueError(f"Need initial > 0, constant_steps >= 0 and decay_steps >= 1; got "
                             f"{initial}, {constant_steps}, {decay_steps}.")
        self.initial = float(initial)
        self.constant_steps, self.decay_steps = int(constant_steps), int(decay_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        remaining = 1.0 - (step - self.constant_steps) / self.decay_steps
        return self.initial * ops.clip(remaining, 0.0, 1.0)

    def get_config(self):
        return {"initial": self.initial, "constant_steps": self.constant_steps,
                "decay_steps": self.decay_steps}
