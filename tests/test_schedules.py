"""Learning-rate schedules zoo configs can name."""

import pytest

from ganzoo.schedules import ConstantThenLinearDecay


def test_linear_decay_schedule():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
    assert [float(schedule(s)) for s in (0, 100, 150, 200, 300)] == pytest.approx(
        [2e-4, 2e-4, 1e-4, 0.0, 0.0])
