"""The command line with image-to-image entries: translate and train."""
import json

import numpy as np
import pytest
from PIL import Image

from conftest import PIX2PIX, blob_images, build_translator, run_cli
from ganzoo import zoo
from ganzoo.images import read_images


@pytest.fixture
def translation_zoo(tmp_path, monkeypatch):
    (tmp_path / "zoo_configs").mkdir()
    (tmp_path / "pretrained" / "tiny-pix2pix").mkdir(parents=True)
    model = build_translator(PIX2PIX)
    weights = tmp_path / "pretrained" / "tiny-pix2pix" / "generator.weights.h5"
    model.shipped_network().save_weights(weights)
    config = dict(PIX2PIX, weights={"file": "tiny-pix2pix/generator.weights.h5",
                                    "sha256": zoo.sha256_of(weights)})
    (tmp_path / "zoo_configs" / "tiny-pix2pix.json").write_text(json.dumps(config))
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path))
    return tmp_path, model


def test_cli_translate_folder_and_side_by_side(translation_zoo, tmp_path):
    home, model = translation_zoo
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, image in enumerate(blob_images(3, size=24)):
        Image.fromarray(image).save(inputs / f"face{i}.png")
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    result = run_cli("translate", "tiny-pix2pix", str(inputs), "--out", str(out),
                     "--side_by_side", str(grid), env_extra={"GANZOO_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == ["face0.png", "face1.png", "face2.png"]
    translated = np.asarray(Image.open(out / "face0.png"))
    expected = model.translate(np.asarray(Image.open(inputs / "face0.png")))
    np.testing.assert_array_equal(translated, expected)  # same size as the input: 24x24
    assert np.asarray(Image.open(grid)).shape == (3 * 18 + 2, 2 * 16 + 4, 3)  # input | output


def test_cli_translate_bad_inputs(translation_zoo, tmp_path):
    home, _ = translation_zoo
    folder = tmp_path / "in"
    folder.mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        read_images([folder])
    (folder / "notes.png").write_text("hello")
    result = run_cli("translate", "tiny-pix2pix", str(folder), "--out", str(tmp_path / "o"),
                     env_extra={"GANZOO_HOME": str(home)})
    assert result.returncode == 2 and "notes.png is not a readable image" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(ValueError, match="does not exist"):
        read_images([tmp_path / "missing.png"])
    sampled = run_cli("sample", "tiny-pix2pix", "--out", str(tmp_path / "s.png"),
                      env_extra={"GANZOO_HOME": str(home)})
    assert sampled.returncode == 2 and "use ganzoo translate tiny-pix2pix" in sampled.stderr


def test_cli_trains_pix2pix_with_a_held_out_preview(translation_zoo, tmp_path):
    home, _ = translation_zoo
    folder = tmp_path / "faces"
    folder.mkdir()
    for i, image in enumerate(blob_images(16)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    run = tmp_path / "run"
    result = run_cli("train", "tiny-pix2pix", "--data", str(folder), "--steps", "2",
                     "--out", str(run), env_extra={"GANZOO_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    preview = np.asarray(Image.open(run / "samples" / "step_0000002.png"))
    assert preview.shape[1] == 2 * (3 * 16) + 3 * 2  # two columns of edges | output | face
