"""(A, B) pipelines: XDoG edges, side-by-side pairs, unpaired domains, held-out splits."""
import zipfile

import numpy as np
import pytest
from PIL import Image

from conftest import CYCLEGAN, blob_faces, blob_images
from ganzoo import pairs
from ganzoo.data import DataError


def test_xdog_edges_are_deterministic_line_drawings():
    images = blob_faces(4)
    edges = pairs.xdog_edges(images).numpy()
    assert edges.shape == (4, 16, 16, 1)
    assert edges.min() >= -1 and edges.max() <= 1
    np.testing.assert_array_equal(edges, pairs.xdog_edges(images).numpy())
    assert (edges > 0.9).mean() > 0.5  # mostly white paper
    flat = pairs.xdog_edges(np.zeros((1, 16, 16, 3), np.float32)).numpy()
    assert flat.min() > 0.9  # no edges in a flat image


def test_side_by_side_folder_pairs_and_mismatched_file(tmp_path):
    folder = tmp_path / "pairs"
    folder.mkdir()
    left, right = blob_images(4, seed=1), blob_images(4, seed=2)
    for i in range(4):
        Image.fromarray(np.concatenate([left[i], right[i]], 1)).save(folder / f"{i}.png")
    dataset = pairs.side_by_side_dataset(str(folder), (16, 16, 3), (16, 16, 3), 2,
                                         shuffle=False)
    a, b = next(iter(dataset))
    np.testing.assert_allclose((a.numpy()[0] + 1) * 127.5, left[0], atol=1e-3)
    np.testing.assert_allclose((b.numpy()[0] + 1) * 127.5, right[0], atol=1e-3)
    Image.fromarray(left[0]).save(folder / "odd.png")  # square: not a pair
    with pytest.raises(DataError, match="odd.png is 16x16"):
        pairs.side_by_side_dataset(str(folder), (16, 16, 3), (16, 16, 3), 2)


def test_unpaired_domains_from_a_zip_and_tags(tmp_path):
    archive = tmp_path / "faces.zip"
    rows = ["file,hair"]
    with zipfile.ZipFile(archive, "w") as z:
        for i, image in enumerate(blob_images(12)):
            path = tmp_path / f"{i:03d}.png"
            hair = "red" if i % 2 else "blue"
            image[..., 0 if hair == "red" else 2] = 255
            Image.fromarray(image).save(path)
            z.write(path, f"faces/{i:03d}.png")
            rows.append(f"{i:03d}.png,{hair}")
    (tmp_path / "tags.csv").write_text("\n".join(rows))
    dataset = pairs.translation_dataset(CYCLEGAN, str(archive), 2, seed=0)
    a, b = next(iter(dataset))
    assert (a.numpy()[..., 0] == 1).all() and (b.numpy()[..., 2] == 1).all()
    with pytest.raises(DataError, match="has no rows with hair"):
        pairs.unpaired_dataset(str(archive), (16, 16, 3), (16, 16, 3), 2,
                               labels=f"{tmp_path / 'tags.csv'}:hair", domains=("red", "green"))


def test_held_out_domains_keep_all_their_images(tmp_path):
    """Unpaired domains of different sizes: evaluation reads each domain's whole held-out
    split (zipping them would stop at the shorter one)."""
    from ganzoo.metrics.translation import held_out_images

    archive = tmp_path / "faces.zip"
    rows = ["file,hair"]
    with zipfile.ZipFile(archive, "w") as z:
        for i, image in enumerate(blob_images(24)):
            hair = "red" if i < 16 else "blue"  # 16 red, 8 blue
            path = tmp_path / f"{i:03d}.png"
            Image.fromarray(image).save(path)
            z.write(path, f"faces/{i:03d}.png")
            rows.append(f"{i:03d}.png,{hair}")
    (tmp_path / "tags.csv").write_text("\n".join(rows))
    a, b = held_out_images(CYCLEGAN, str(archive))  # test_split train[75%:]
    assert (len(a), len(b)) == (4, 2) and a.dtype == b.dtype == np.uint8
    a, b = held_out_images(CYCLEGAN, str(archive), limit=3)
    assert (len(a), len(b)) == (3, 2)
