"""Writes tests/metrics/data/inception_reference.npz: TorchScript FID-Inception features of two
deterministic synthetic images, so the test suite can check the Keras port without torch.

    pip install torch==2.13.0 && python bench/make_inception_reference.py
"""
import numpy as np


def reference_images():
    """Two 64x64 RGB uint8 images defined by formulas (no files needed)."""
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    first = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1)
    second = np.stack([128 + 127 * np.sin(x / 5), 128 + 127 * np.cos(y / 7),
                       255 * ((x // 8 + y // 8) % 2)], axis=-1)
    return np.clip(np.stack([first, second]), 0, 255).astype(np.uint8)


if __name__ == "__main__":
    import torch

    from ganzoo.metrics.inception import find_torchscript_weights, preprocess

    images = reference_images()
    inputs = preprocess(images).numpy().transpose(0, 3, 1, 2)
    with torch.no_grad():
        features = torch.jit.load(str(find_torchscript_weights())).eval()(
            torch.from_numpy(inputs)).numpy()
    np.savez_compressed("tests/metrics/data/inception_reference.npz", images=images,
                        features=features)
    print("features", features.shape, float(np.abs(features).mean()))
