"""Real data from ../shared/data (never committed): the anime zip through the real pipeline
and a few DCGAN steps on it. Marked slow; CI runs it (it has ../shared/data)."""
import os

import numpy as np
import pytest

import ganzoo
from conftest import SHARED_DATA
from ganzoo.data import image_dataset

ANIME_ZIP = os.path.join(SHARED_DATA, "anime_faces_64.zip")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.isfile(ANIME_ZIP),
                                 reason=f"real data not found at {ANIME_ZIP}")]


def test_anime_zip_feeds_the_dcgan_anime_architecture():
    dataset = image_dataset(ANIME_ZIP, (64, 64, 3), batch_size=16, cache=False)
    batch = next(iter(dataset)).numpy()
    assert batch.shape == (16, 64, 64, 3)
    assert -1.0 <= batch.min() < -0.5 and 0.5 < batch.max() <= 1.0  # real photos use the range
    assert batch.std() > 0.2  # not blank
    model = ganzoo.build("dcgan-anime", seed=0)
    history = model.fit(dataset.repeat(), steps_per_epoch=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all() and model.train_steps == 2
