"""`ganzoo.metrics.evaluate` end to end on a tiny model and tiny real data (real Inception)."""
import numpy as np
import pytest
from PIL import Image

from conftest import blob_images
from ganzoo.metrics import evaluate, inception


@pytest.mark.skipif(inception.find_torchscript_weights() is None,
                    reason=f"FID Inception weights absent: {inception.WHEEL_HINT}")
def test_evaluate_reports_numbers_and_sample_counts(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    images = tmp_path / "images"
    images.mkdir()
    for i, image in enumerate(blob_images(9)):  # 9 = 2 batches of 4 + 1: none may be dropped
        Image.fromarray(image).save(images / f"{i}.png")
    results = evaluate(tiny_model, images, num_fake=6, num_real=6, batch_size=4)
    assert results["n_real"] == 6 and results["n_fake"] == 6
    assert np.isfinite(results["fid"]) and results["fid"] > 0  # noise vs squares: far apart
    assert np.isfinite(results["kid"])
    assert 0 <= results["precision"] <= 1 and 0 <= results["recall"] <= 1
    assert len(list((tmp_path / "cache" / "real_features").iterdir())) == 1  # cached
    again = evaluate(tiny_model, images, num_fake=6, num_real=6, batch_size=4)
    assert again["fid"] == pytest.approx(results["fid"], rel=1e-6)
    with pytest.raises(ValueError, match=r"has only 9 images; asked for 20.*cached"):
        evaluate(tiny_model, images, num_fake=2, num_real=20, batch_size=4)
    # The features computed before the source ran out were kept, all 9 of them.
    cached = sorted(p.name for p in (tmp_path / "cache" / "real_features").iterdir())
    assert len(cached) == 2 and cached[1].endswith("-9.npz")
    full = evaluate(tiny_model, images, num_fake=6, num_real=9, batch_size=4)
    assert full["n_real"] == 9
