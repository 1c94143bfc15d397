"""Image-to-image scores on held-out data (L1, FID, evaluator, cycle L1)."""

import numpy as np
import pytest
from PIL import Image

from conftest import CYCLEGAN, PIX2PIX, blob_images, build_translator
from ganzoo import pairs


def test_translation_scores_on_held_out_data(tmp_path):
    from ganzoo.metrics.classifier import classifier_network
    from ganzoo.metrics.translation import evaluate_translation

    folder = tmp_path / "faces"
    folder.mkdir()
    for i, image in enumerate(blob_images(12)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    model = build_translator(PIX2PIX)
    scores = evaluate_translation(model, PIX2PIX, str(folder), ["l1"])
    assert scores["n_a"] == 3  # train[75%:] of 12 files
    held_out = np.stack([np.asarray(Image.open(folder / f"{i:02d}.png")) for i in (9, 10, 11)])
    edges = pairs.xdog_edges(held_out.astype(np.float32) / 127.5 - 1.0).numpy()
    edges = np.clip(np.round((edges + 1) * 127.5), 0, 255).astype(np.uint8)
    expected = np.abs(model.translate(edges).astype(float) - held_out).mean() / 255
    assert scores["l1"]["model"] == pytest.approx(expected, abs=1e-4)
    assert 0 < scores["l1"]["mean_target_baseline"] < 1
    # two-way: classifier shares and cycle reconstruction
    cycle = build_translator(CYCLEGAN)
    network = classifier_network((16, 16, 3), 2)
    evaluator = (network, {"name": "toy", "class_names": ["red", "blue"]})
    a, b = blob_images(4, seed=3), blob_images(4, seed=4)
    import ganzoo.metrics.translation as translation
    original = translation.held_out_images
    translation.held_out_images = lambda *args, **kwargs: (a, b)
    try:
        scores = evaluate_translation(cycle, CYCLEGAN, "unused", evaluator=evaluator)
    finally:
        translation.held_out_images = original
    predicted = np.argmax(network(cycle.translate(a, "a2b")).numpy(), -1)
    assert scores["classifier"]["a2b_classified_as_b"] == pytest.approx((predicted == 1).mean())
    expected = np.abs(cycle.translate(cycle.translate(a, "a2b"), "b2a").astype(float) - a)
    assert scores["cycle_l1"]["a2b2a"] == pytest.approx(expected.mean() / 255, abs=1e-4)
