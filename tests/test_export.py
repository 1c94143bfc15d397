"""TF Serving export: layout, named typed signature, REST request bodies, overwrite rules."""
import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.export import rest_predict


@pytest.fixture
def exported(tiny_model, tmp_path):
    return ganzoo.export(tiny_model, tmp_path / "models", version=3, name="tiny")


def test_layout_and_signature(exported, tmp_path):
    assert exported == tmp_path / "models" / "tiny" / "3"
    assert (exported / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(exported), tags=["serve"])
    signature = loaded.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert list(signature.structured_input_signature[1]) == ["z"]
    assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, 8]
    outputs = signature.structured_outputs
    assert list(outputs) == ["images"] and outputs["images"].dtype == tf.uint8
    assert outputs["images"].shape.as_list() == [None, 16, 16, 3]


def test_signature_serves_the_models_images(tiny_model, exported):
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    z = tiny_model.latent_noise(5, seed=0)
    np.testing.assert_array_equal(signature(z=tf.constant(z))["images"].numpy(),
                                  tiny_model.generate(z))


def test_rest_request_bodies(tiny_model, exported):
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    z = tiny_model.latent_noise(3, seed=2)
    expected = tiny_model.generate(z).tolist()
    # Bodies go through JSON exactly as a client would send them.
    for body, key in (({"instances": z.tolist()}, "predictions"),
                      ({"instances": [{"z": row} for row in z.tolist()]}, "predictions"),
                      ({"inputs": z.tolist()}, "outputs"),
                      ({"inputs": {"z": z.tolist()}}, "outputs")):
        response = rest_predict(signature, json.loads(json.dumps(body)))
        assert response[key] == expected
    with pytest.raises(ValueError, match='exactly one of "instances" or "inputs"'):
        rest_predict(signature, {})


def test_saved_model_cli_shows_the_signature(exported):
    cli = [sys.executable, "-c",
           "import sys; from tensorflow.python.tools.saved_model_cli import main; "
           "sys.argv=['saved_model_cli','show','--all','--dir',sys.argv[1]]; main()",
           str(exported)]
    out = subprocess.run(cli, capture_output=True, text=True, timeout=300).stdout
    assert "signature_def['serving_default']" in out
    assert "inputs['z'] tensor_info" in out and "DT_FLOAT" in out
    assert "outputs['images'] tensor_info" in out and "DT_UINT8" in out


def test_non_empty_target_needs_overwrite(tiny_model, exported):
    with pytest.raises(FileExistsError, match="exists and is not empty.*overwrite"):
        ganzoo.export(tiny_model, exported.parent.parent, version=3, name="tiny")
    for w in tiny_model.ema_generator.weights:
        w.assign(w * 0.5)
    ganzoo.export(tiny_model, exported.parent.parent, version=3, name="tiny", overwrite=True)
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    z = tiny_model.latent_noise(2, seed=0)
    np.testing.assert_array_equal(signature(z=tf.constant(z))["images"].numpy(),
                                  tiny_model.generate(z))


def test_bad_version(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="version must be a positive integer"):
        ganzoo.export(tiny_model, tmp_path, version=0)


def test_wrong_request_shape_is_refused_by_name(exported):
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input z must have shape \[batch, 8\]"):
        signature(z=tf.zeros([2, 7]))


def test_export_into_a_file_is_refused(tiny_model, tmp_path):
    existing = tmp_path / "grid.png"
    existing.write_bytes(b"not a directory")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        ganzoo.export(tiny_model, existing, name="tiny")
    assert existing.read_bytes() == b"not a directory"


def test_keras_model_export_idiom_writes_the_serving_signatures(tiny_model, tmp_path):
    tiny_model.export(tmp_path / "saved")  # never called, never fit: Keras' own would fail
    signature = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    z = tiny_model.latent_noise(2, seed=1)
    np.testing.assert_array_equal(signature(z=tf.constant(z))["images"].numpy(),
                                  tiny_model.generate(z))
    with pytest.raises(ValueError, match="format='tf_saved_model', 'onnx' or 'litert'.*"
                                         "got format='openvino'"):
        tiny_model.export(tmp_path / "x", format="openvino")


# ------------------------------------------------------------------ ONNX and LiteRT
def _onnx_run(path, feeds):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path))
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def _litert_run(path, feeds):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path)).get_signature_runner("serving_default")(**feeds)


def _assert_close_uint8(got, want):
    # float kernels differ across runtimes in the last bit: at most 1/255 on a few pixels
    difference = np.abs(got.astype(int) - want.astype(int))
    assert got.dtype == np.uint8 and got.shape == want.shape
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01


@pytest.mark.parametrize("format,suffix,run", [("onnx", ".onnx", _onnx_run),
                                               ("litert", ".tflite", _litert_run)])
def test_portable_formats_serve_the_models_images(tiny_model, tmp_path, format, suffix, run):
    path = ganzoo.export(tiny_model, tmp_path / "models", format=format)
    assert path == tmp_path / "models" / f"tiny-dcgan{suffix}"
    z = tiny_model.latent_noise(5, seed=0)
    _assert_close_uint8(run(path, {"z": z})["images"], tiny_model.generate(z))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        ganzoo.export(tiny_model, tmp_path / "models", format=format)
    assert tiny_model.export(tmp_path / f"keras{suffix}", format=format) == \
        tmp_path / f"keras{suffix}"


@pytest.mark.parametrize("format,run", [("onnx", _onnx_run), ("litert", _litert_run)])
def test_portable_formats_of_conditional_and_image_to_image_models(tmp_path, format, run):
    from conftest import PIX2PIX, TINY_CONFIG, build_translator

    conditional = ganzoo.build(dict(json.loads(json.dumps(TINY_CONFIG)), variant="cgan",
                                    name="tiny-cgan", num_classes=3), seed=0, compile=False)
    path = ganzoo.export(conditional, tmp_path, format=format)
    z, labels = conditional.latent_noise(4, seed=1), np.array([0, 2, 1, 2], np.int32)
    _assert_close_uint8(run(path, {"z": z, "labels": labels})["images"],
                        conditional.generate(z, labels))
    translator = build_translator(PIX2PIX)
    path = ganzoo.export(translator, tmp_path, format=format)
    sources = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 1)).astype(np.uint8)
    output = "images_out" if format == "onnx" else "images"  # ONNX names each value once
    _assert_close_uint8(run(path, {"images": sources})[output], translator.translate(sources))
