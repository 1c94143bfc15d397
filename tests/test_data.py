"""tf.data pipelines from folders, zips, .npz files and tfds names; and their bad inputs."""
import logging
import zipfile

import numpy as np
import pytest
from PIL import Image

from conftest import blob_images
from ganzoo.data import DataError, image_dataset


def _write_images(folder, images, fmt="png"):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:03d}.{fmt}")


def _all(dataset):
    return np.concatenate([b.numpy() if not isinstance(b, tuple) else b[0].numpy()
                           for b in dataset])


def test_folder_is_recursive_resized_scaled_and_batched(tmp_path):
    images = blob_images(10, size=32)
    _write_images(tmp_path / "a", images[:5], "png")
    _write_images(tmp_path / "a" / "deeper", images[5:], "jpg")
    dataset = image_dataset(tmp_path, (16, 16, 3), batch_size=4, shuffle=False)
    batches = list(dataset)
    assert len(batches) == 2  # 10 images, drop_remainder
    batch = batches[0].numpy()
    assert batch.shape == (4, 16, 16, 3) and batch.dtype == np.float32
    assert -1.0 <= batch.min() and batch.max() <= 1.0
    # The first file, resized with antialiasing, scaled to [-1, 1]:
    expected = np.asarray(Image.fromarray(images[0]).resize((16, 16), Image.BOX), np.float32)
    np.testing.assert_allclose(batch[0], expected / 127.5 - 1, atol=2 / 127.5)


def test_zip_and_webp(tmp_path):
    images = blob_images(8)
    _write_images(tmp_path / "imgs", images, "webp")
    with zipfile.ZipFile(tmp_path / "faces.zip", "w") as archive:
        for path in sorted((tmp_path / "imgs").iterdir()):
            archive.write(path, f"faces/{path.name}")
    batches = _all(image_dataset(tmp_path / "faces.zip", (16, 16, 3), 4, shuffle=False))
    assert batches.shape == (8, 16, 16, 3)


def test_same_size_images_pass_through_exactly(tmp_path):
    images = blob_images(4)
    _write_images(tmp_path, images, "png")
    batches = _all(image_dataset(tmp_path, (16, 16, 3), 4, shuffle=False))
    np.testing.assert_array_equal(np.round((batches + 1) * 127.5).astype(np.uint8), images)


def test_channels_are_converted(tmp_path):
    _write_images(tmp_path, blob_images(4), "png")
    gray = _all(image_dataset(tmp_path, (16, 16, 1), 4))
    assert gray.shape == (4, 16, 16, 1)


def test_npz_with_labels(tmp_path):
    x = blob_images(12, size=28, channels=1)[..., 0]
    y = np.arange(12) % 3
    np.savez(tmp_path / "digits.npz", x_train=x, y_train=y)
    images, labels = next(iter(image_dataset(tmp_path / "digits.npz", (32, 32, 1), 12,
                                             shuffle=False)))
    assert images.shape == (12, 32, 32, 1)
    np.testing.assert_array_equal(labels.numpy(), y)
    only_images = next(iter(image_dataset(tmp_path / "digits.npz", (32, 32, 1), 12,
                                          with_labels=False)))
    assert only_images.shape == (12, 32, 32, 1)


def test_npz_float_images_in_unit_range(tmp_path):
    x = blob_images(4).astype(np.float32) / 255.0
    np.savez(tmp_path / "f.npz", images=x)
    batch = next(iter(image_dataset(tmp_path / "f.npz", (16, 16, 3), 4, shuffle=False)))
    np.testing.assert_allclose(batch.numpy(), blob_images(4) / 127.5 - 1, atol=1e-5)


def test_undecodable_files_are_skipped_and_counted(tmp_path, caplog):
    _write_images(tmp_path, blob_images(4), "png")
    (tmp_path / "notes.jpg").write_bytes(b"this is not a jpeg")
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        batches = _all(image_dataset(tmp_path, (16, 16, 3), 2))
    assert batches.shape == (4, 16, 16, 3)
    assert "Skipped 1 of 5 file(s)" in caplog.text and "notes.jpg (not an image file)" in caplog.text


def test_bad_sources(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        image_dataset(tmp_path / "nowhere", (16, 16, 3), 4)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No usable images"):
        image_dataset(tmp_path / "empty", (16, 16, 3), 4)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.png").write_bytes(b"nope")
    with pytest.raises(DataError, match=r"No usable images.*all 1 file\(s\) were skipped"):
        image_dataset(tmp_path / "junk", (16, 16, 3), 4)
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable zip"):
        image_dataset(tmp_path / "broken.zip", (16, 16, 3), 4)
    np.savez(tmp_path / "nokey.npz", foo=np.zeros((4, 16, 16)))
    with pytest.raises(DataError, match="no image array"):
        image_dataset(tmp_path / "nokey.npz", (16, 16, 3), 4)
    np.savez(tmp_path / "range.npz", x=np.full((4, 16, 16), 300.0))
    with pytest.raises(DataError, match=r"values in \[0, 255\]"):
        image_dataset(tmp_path / "range.npz", (16, 16, 1), 4)
    _write_images(tmp_path / "few", blob_images(2))
    with pytest.raises(DataError, match="fewer than one batch"):
        image_dataset(tmp_path / "few", (16, 16, 3), 4)
    with pytest.raises(DataError, match="batch_size must be a positive integer"):
        image_dataset(tmp_path / "few", (16, 16, 3), 0)
    with pytest.raises(DataError, match="has no labels"):
        image_dataset(tmp_path / "few", (16, 16, 3), 2, with_labels=True)


def test_tfds_name(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=8):
        images, labels = next(iter(image_dataset("tfds:mnist", (32, 32, 1), 4)))
    assert images.shape == (4, 32, 32, 1) and labels.shape == (4,)


def test_tfds_missing_dataset_says_how_to_fix(tmp_path):
    with pytest.raises(DataError, match="could not load 'mnist'.*data_dir"):
        image_dataset("tfds:mnist", (32, 32, 1), 4, data_dir=str(tmp_path))


def test_unknown_tfds_name_is_one_short_line():
    with pytest.raises(DataError, match="no dataset named 'mnistt'; did you mean mnist") as error:
        image_dataset("tfds:mnistt", (32, 32, 1), 4)
    assert "\n" not in str(error.value) and len(str(error.value)) < 300  # not the catalogue


def test_npz_splits_slice_like_tfds(tmp_path):
    x = blob_images(10, size=16, channels=1)[..., 0]
    np.savez(tmp_path / "m.npz", x_train=x, y_train=np.arange(10), x_test=x[:4],
             y_test=np.arange(4) + 100)
    _, labels = next(iter(image_dataset(tmp_path / "m.npz", (16, 16, 1), 3,
                                        split="train[:3]", shuffle=False)))
    np.testing.assert_array_equal(labels.numpy(), [0, 1, 2])
    _, labels = next(iter(image_dataset(tmp_path / "m.npz", (16, 16, 1), 2,
                                        split="train[8:]", shuffle=False)))
    np.testing.assert_array_equal(labels.numpy(), [8, 9])
    _, labels = next(iter(image_dataset(tmp_path / "m.npz", (16, 16, 1), 4, split="test",
                                        shuffle=False)))
    np.testing.assert_array_equal(labels.numpy(), [100, 101, 102, 103])
    with pytest.raises(DataError, match="split must look like"):
        image_dataset(tmp_path / "m.npz", (16, 16, 1), 2, split="train[::2]")
    _, labels = next(iter(image_dataset(tmp_path / "m.npz", (16, 16, 1), 2,
                                        split="train[80%:]", shuffle=False)))
    np.testing.assert_array_equal(labels.numpy(), [8, 9])


def test_folder_labelled_by_a_csv_column(tmp_path, caplog):
    _write_images(tmp_path / "faces", blob_images(6), fmt="png")
    (tmp_path / "tags.csv").write_text(
        "file,hair,eyes\n000.png,black,red\n001.png,blonde,blue\n002.png,pink,red\n"
        "003.png,blonde,red\n004.png,black,blue\n099.png,black,red\n")
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        dataset = image_dataset(tmp_path / "faces", (16, 16, 3), 4, shuffle=False,
                                labels=f"{tmp_path / 'tags.csv'}:hair",
                                classes=["blonde", "black"])
    images, labels = next(iter(dataset))
    # 002 (pink) is not a chosen class and 005 has no row: both left out, in name order.
    np.testing.assert_array_equal(labels.numpy(), [1, 0, 0, 1])
    assert images.shape == (4, 16, 16, 3)
    assert "1 labelled file(s) named in" in caplog.text and "099.png" in caplog.text
    _, labels = next(iter(image_dataset(tmp_path / "faces", (16, 16, 3), 1, shuffle=False,
                                        labels=f"{tmp_path / 'tags.csv'}:hair",
                                        classes=["blonde", "black"], split="train[75%:]")))
    np.testing.assert_array_equal(labels.numpy(), [1])  # the last of the four kept files
    with pytest.raises(DataError, match="columns 'file' and 'colour'"):
        image_dataset(tmp_path / "faces", (16, 16, 3), 2, labels=f"{tmp_path / 'tags.csv'}:colour")
    with pytest.raises(DataError, match="no rows with hair = \\['green'\\]"):
        image_dataset(tmp_path / "faces", (16, 16, 3), 2, labels=f"{tmp_path / 'tags.csv'}:hair",
                      classes=["green"])
    with pytest.raises(DataError, match="one split, 'train'"):
        image_dataset(tmp_path / "faces", (16, 16, 3), 2, split="test")
