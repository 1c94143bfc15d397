"""What a careless or hostile user does, as one table: each case is an input, the error or
behaviour expected, and a check that nothing the user had was lost. Then a fuzz test of the
data loader over random corruptions of a small labelled image set.

Interrupts, the kill -9 resume and a second writer on a live run need separate processes:
tests/scale/test_resume.py."""
import json
import logging
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import REPO_ROOT, blob_images, run_cli
from ganzoo import zoo
from ganzoo.cli import output_names
from ganzoo.data import DataError, _fit_image, image_dataset

CLASSES = ["red", "green", "blue"]


def labelled_folder(root, count=12, size=16):
    """PNG files whose colour is their class (red, green, blue), and tags.csv naming the
    class of each: {file name: class index}."""
    root.mkdir(parents=True, exist_ok=True)
    labels = {}
    rng = np.random.default_rng(0)
    for i in range(count):
        label = int(rng.integers(0, 3))
        image = np.full((size, size, 3), 30, np.uint8)
        image[..., label] = 220
        image[rng.integers(0, size), :, :] = rng.integers(0, 255)  # each file distinct
        name = f"{i:03d}.png"
        Image.fromarray(image).save(root / name)
        labels[name] = label
    rows = ["file,colour"] + [f"{n},{CLASSES[k]}" for n, k in labels.items()]
    (root / "tags.csv").write_text("\n".join(rows) + "\n")
    return labels


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:max(1, int(len(data) * keep))])


def pairs(dataset):
    """(images as uint8, labels) from an unshuffled labelled pipeline."""
    images, labels = [], []
    for x, y in dataset:
        images.append(np.round((x.numpy() + 1) * 127.5).astype(np.uint8))
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


def colour_class(images):
    return images.reshape(len(images), -1, 3).mean(axis=1).argmax(axis=1)


# ------------------------------------------------------------------ data: labels never shift
def test_truncated_file_among_labelled_ones_shifts_no_label(tmp_path, caplog):
    folder = tmp_path / "faces"
    labels = labelled_folder(folder, count=40)
    truncate(folder / "003.png")  # valid header, truncated body
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        dataset = image_dataset(folder, (16, 16, 3), 1, shuffle=False,
                                labels=f"{folder}/tags.csv:colour", classes=CLASSES)
    images, got = pairs(dataset)
    assert len(got) == 39
    np.testing.assert_array_equal(got, colour_class(images))  # every label, checked
    expected = [labels[n] for n in sorted(labels) if n != "003.png"]
    np.testing.assert_array_equal(got, expected)
    assert "Skipped 1 of 40 file(s)" in caplog.text
    assert "003.png (not decodable: truncated or damaged)" in caplog.text


def test_a_zip_with_corrupt_members_keeps_labels_with_their_files(tmp_path):
    import zipfile

    folder = tmp_path / "faces"
    labels = labelled_folder(folder, count=20)
    truncate(folder / "005.png")
    (folder / "007.png").write_bytes(b"")
    archive = tmp_path / "faces.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in sorted(labels):
            z.write(folder / name, f"faces/{name}")
    images, got = pairs(image_dataset(archive, (16, 16, 3), 1, shuffle=False,
                                      labels=f"{folder}/tags.csv:colour", classes=CLASSES))
    assert len(got) == 18
    np.testing.assert_array_equal(got, colour_class(images))


# ------------------------------------------------------------------ the table
def _npz(tmp_path, labels, images=None):
    path = tmp_path / "data.npz"
    images = blob_images(len(labels)) if images is None else images
    np.savez(path, x=images, y=np.asarray(labels))
    return path


def case_npz_label_out_of_range(tmp_path):
    with pytest.raises(DataError, match=r"data.npz\['y'\]\[5\] is 42, which is not a class.*"
                                        r"0\.\.9"):
        image_dataset(_npz(tmp_path, [1, 2, 3, 4, 5, 42, 0, 1]), (16, 16, 3), 4,
                      num_classes=10)


def case_npz_negative_label(tmp_path):
    with pytest.raises(DataError, match=r"\[2\] is -1"):
        image_dataset(_npz(tmp_path, [1, 2, -1, 4]), (16, 16, 3), 4, num_classes=10)


def case_npz_fractional_label(tmp_path):
    with pytest.raises(DataError, match=r"\[1\] is 3.7"):
        image_dataset(_npz(tmp_path, [1.0, 3.7, 2.0, 0.0]), (16, 16, 3), 4, num_classes=10)


def case_npz_integral_float_and_name_labels_are_classes(tmp_path):
    floats = pairs(image_dataset(_npz(tmp_path, [1.0, 2.0, 0.0, 1.0]), (16, 16, 3), 4,
                                 shuffle=False, num_classes=3))[1]
    np.testing.assert_array_equal(floats, [1, 2, 0, 1])
    names = pairs(image_dataset(_npz(tmp_path, ["green", "blue", "red", "green"]), (16, 16, 3),
                                4, shuffle=False, num_classes=3, classes=CLASSES))[1]
    np.testing.assert_array_equal(names, [1, 2, 0, 1])


def case_npz_of_strings_as_images(tmp_path):
    path = tmp_path / "strings.npz"
    np.savez(path, x=np.array([["a"] * 4] * 4))
    with pytest.raises(DataError, match=r"must hold numbers.*<U1"):
        image_dataset(path, (16, 16, 3), 2)


def case_every_file_undecodable_is_an_error_before_any_step(tmp_path):
    folder = tmp_path / "junk"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(blob_images(1)[0]).save(folder / f"{i}.jpg")
        truncate(folder / f"{i}.jpg", 0.3)
    (folder / "empty.png").write_bytes(b"")
    run = tmp_path / "run"
    result = run_cli("train", "tiny-dcgan", "--data", str(folder), "--steps", "2", "--out",
                     str(run))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "No usable images" in result.stderr and "all 5 file(s) were skipped" in result.stderr
    assert "0.jpg (not decodable" in result.stderr and "empty.png (empty file)" in result.stderr
    assert not (run / "checkpoint.keras").exists() and not (run / "state.json").exists()


def case_tiny_image_is_skipped_not_upscaled(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, image in enumerate(blob_images(4)):
        Image.fromarray(image).save(folder / f"{i}.png")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(folder / "dot.png")
    count = sum(len(b) for b in image_dataset(folder, (16, 16, 3), 1, shuffle=False))
    assert count == 4


def case_readme_mixed_labels_on_the_command_line(tmp_path):
    shipped = {"GANZOO_HOME": REPO_ROOT}  # the real entry, with class names
    result = run_cli("sample", "cgan-anime-hair", "--num", "3", "--labels", "0,black,2",
                     "--seed", "0", "--out", str(tmp_path / "g.png"), env_extra=shipped)
    assert result.returncode == 0, result.stderr
    bad = run_cli("sample", "cgan-anime-hair", "--num", "2", "--labels", "0,purple",
                  "--out", str(tmp_path / "h.png"), env_extra=shipped)
    assert bad.returncode == 2 and "labels[1] is 'purple', which is not a class" in bad.stderr


def case_empty_state_json_names_the_file(tmp_path):
    run = tmp_path / "run"
    result = run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)), "--steps", "2",
                     "--out", str(run))
    assert result.returncode == 0, result.stderr
    (run / "state.json").write_text("")
    again = run_cli("train", "tiny-dcgan", "--steps", "4", "--out", str(run))
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert f"{run / 'state.json'} (the run's step count and times) cannot be read" in again.stderr
    assert (run / "checkpoint.keras").exists()


def case_invalid_config_json_names_the_file(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{not json")
    result = run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)), "--steps", "2",
                     "--out", str(run))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{run / 'config.json'} (the run's config) cannot be read" in result.stderr
    assert (run / "config.json").read_text() == "{not json"  # left as it was


def case_unwritable_run_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    result = run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)), "--steps", "2",
                     "--out", str(blocker / "run"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Cannot write in the run directory" in result.stderr
    assert blocker.read_text() == "keep me"


def case_read_only_run_directory(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only directories")
    run = tmp_path / "run"
    assert run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)), "--steps", "2",
                   "--out", str(run)).returncode == 0
    run.chmod(0o555)
    try:
        result = run_cli("train", "tiny-dcgan", "--steps", "4", "--out", str(run))
    finally:
        run.chmod(0o755)
    assert result.returncode == 2 and "Cannot write in the run directory" in result.stderr


def case_resume_keeps_the_runs_steps_and_checkpoint_interval(tmp_path):
    run = tmp_path / "run"
    data = str(_images(tmp_path))
    assert run_cli("train", "tiny-dcgan", "--data", data, "--steps", "4",
                   "--checkpoint_every", "1", "--out", str(run)).returncode == 0
    again = run_cli("train", "tiny-dcgan", "--out", str(run))  # not the recipe's steps
    assert again.returncode == 0 and "already has 4 >= 4 steps" in again.stderr
    assert run_cli("train", "tiny-dcgan", "--steps", "6", "--out", str(run)).returncode == 0
    assert sorted(p.name for p in (run / "samples").iterdir())[-2:] == [
        "step_0000005.png", "step_0000006.png"]  # still every step
    recorded = json.loads((run / "config.json").read_text())["run"]
    assert (recorded["steps"], recorded["checkpoint_every"]) == (6, 1)


def case_translate_outputs_never_overwrite_each_other(tmp_path):
    names = output_names(["in/00000.jpg", "in/00000.png", "a/x.png", "b/x.png", "y.png"])
    assert len(set(names)) == 5 and names[-1] == "y.png"
    assert names[:2] == ["00000_jpg.png", "00000_png.png"]


def case_python_export_uses_the_entry_name_as_the_cli_does(tmp_path):
    from ganzoo import export

    model = zoo.build("tiny-dcgan", seed=0, compile=False)
    path = export(model, tmp_path / "models")
    assert path == tmp_path / "models" / "tiny-dcgan" / "1"


def case_non_finite_latent_vectors(tmp_path):
    model = zoo.build("tiny-dcgan", seed=0, compile=False)
    z = model.latent_noise(2, seed=0)
    z[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"z\[0, 0\] is inf"):
        model.generate(z)


def case_python_load_prints_no_tensorflow_startup_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import ganzoo; ganzoo.load('tiny-dcgan').sample(1, seed=0)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "oneDNN" not in result.stderr and "cpu_feature_guard" not in result.stderr


def case_second_writer_refused_while_the_lock_is_held(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from ganzoo.training import RunLock; "
         f"RunLock({str(run)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)),
                         "--steps", "2", "--out", str(run))
        assert result.returncode == 2
        assert f"being trained by another process (pid {holder.pid} on" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing: its lock file is stale and is taken over.
    assert (run / "run.lock").exists()
    result = run_cli("train", "tiny-dcgan", "--data", str(_images(tmp_path)), "--steps", "2",
                     "--out", str(run))
    assert result.returncode == 0, result.stderr


def _images(tmp_path, count=16):
    folder = tmp_path / "images"
    if not folder.exists():
        folder.mkdir()
        for i, image in enumerate(blob_images(count)):
            Image.fromarray(image).save(folder / f"{i:02d}.png")
    return folder


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_case(case, tmp_zoo, tmp_path):
    case(tmp_path)


# ------------------------------------------------------------------ fuzz
def _corrupt(path, rng):
    """One of the corruptions crawled data sets are full of."""
    kind = rng.choice(["truncate", "flip", "extension", "empty", "none"])
    data = bytearray(path.read_bytes())
    if kind == "truncate":
        path.write_bytes(bytes(data[:int(rng.integers(1, len(data)))]))
    elif kind == "flip":
        for position in rng.integers(0, len(data), int(rng.integers(1, 8))):
            data[position] ^= 1 << int(rng.integers(0, 8))
        path.write_bytes(bytes(data))
    elif kind == "extension":  # a PNG named .jpg, or a text file named .png
        if rng.random() < 0.5:
            path.rename(path.with_suffix(".jpg"))
            return path.with_suffix(".jpg")
        path.write_bytes(b"GIF89a? not really" if rng.random() < 0.5 else b"hello")
    elif kind == "empty":
        path.write_bytes(b"")
    return path


def _expected(path):
    """What the loader must yield for this file: its decoded, fitted image, or None."""
    try:
        image = tf.io.decode_image(path.read_bytes(), channels=3, expand_animations=False)
        if min(image.shape[:2]) < 4:
            return None
        return _fit_image(image, (16, 16, 3)).numpy()
    except (tf.errors.InvalidArgumentError, ValueError):
        return None


@pytest.mark.parametrize("seed", range(12))
def test_fuzz_loader_keeps_each_label_with_its_file(seed, tmp_path):
    rng = np.random.default_rng(seed)
    folder = tmp_path / "faces"
    labels = labelled_folder(folder, count=10)
    paths = sorted(folder.glob("*.png"))
    for index in rng.choice(len(paths), int(rng.integers(1, len(paths) + 1)), replace=False):
        paths[index] = _corrupt(paths[index], rng)
    rows = ["file,colour"] + [f"{p.name},{CLASSES[labels[p.stem + '.png']]}" for p in paths]
    (folder / "tags.csv").write_text("\n".join(rows) + "\n")
    expected = [(e, labels[p.stem + ".png"]) for p in sorted(paths, key=lambda p: p.name)
                if (e := _expected(p)) is not None]
    try:
        images, got = pairs(image_dataset(folder, (16, 16, 3), 1, shuffle=False,
                                          labels=f"{folder}/tags.csv:colour", classes=CLASSES))
    except DataError as error:
        assert not expected and "No usable images" in str(error)
        return
    assert len(got) == len(expected)
    for (image, label), (want_image, want_label) in zip(zip(images, got), expected):
        assert label == want_label
        np.testing.assert_array_equal(image, want_image)
