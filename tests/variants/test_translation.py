"""pix2pix and CycleGAN: losses, networks, training, translate(), export, save/load, data."""
import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import blob_images, run_cli
from ganzoo import losses, pairs, zoo
from ganzoo.data import DataError
from ganzoo.export import export
from ganzoo.images import read_images
from ganzoo.nets.translation import patchgan_discriminator, resnet_generator, unet_generator
from ganzoo.schedules import ConstantThenLinearDecay
from ganzoo.variants.cyclegan import ImagePool

PIX2PIX = {
    "name": "tiny-pix2pix", "variant": "pix2pix", "domain_names": ["edges", "face"],
    "source_shape": [16, 16, 1], "image_shape": [16, 16, 3],
    "generator": {"type": "unet", "base_filters": 8},
    "discriminator": {"type": "patchgan", "base_filters": 8, "layers_count": 1},
    "objective": {"l1_weight": 100.0},
    "optimizers": {name: {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.5}}
                   for name in ("d", "g")},
    "data": {"pairs": "edges", "split": "train[:75%]", "test_split": "train[75%:]"},
    "training": {"batch_size": 4, "checkpoint_every": 2},
}
CYCLEGAN = {
    "name": "tiny-cyclegan", "variant": "cyclegan", "domain_names": ["red", "blue"],
    "source_shape": [16, 16, 3], "image_shape": [16, 16, 3],
    "generator": {"type": "resnet", "base_filters": 4, "blocks": 1},
    "discriminator": {"type": "patchgan", "base_filters": 4, "layers_count": 1},
    "objective": {"pool_size": 3},
    "optimizers": {"g": {"class_name": "Adam", "config": {"beta_1": 0.5, "learning_rate": {
        "class_name": "ConstantThenLinearDecay", "registered_name":
        "ganzoo>ConstantThenLinearDecay", "config": {"initial": 2e-4, "constant_steps": 2,
                                                     "decay_steps": 4}}}}},
    "data": {"pairs": "unpaired", "labels": "tags.csv:hair", "domains": ["red", "blue"],
             "split": "train[:75%]", "test_split": "train[75%:]"},
    "training": {"batch_size": 2, "checkpoint_every": 2},
}


def build(config, seed=0):
    keras.utils.set_random_seed(seed)
    return zoo.build(json.loads(json.dumps(config)), seed=seed)


def faces(n=8, seed=0):
    return blob_images(n, seed=seed).astype(np.float32) / 127.5 - 1.0


# ------------------------------------------------------------------------- losses
def test_pix2pix_losses_match_hand_computed_values():
    real, fake = np.array([2.0, -1.0]), np.array([0.5, -3.0])
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    expected_d = 0.5 * (softplus(-real).mean() + softplus(fake).mean())
    assert float(losses.pix2pix_discriminator(real, fake)) == pytest.approx(expected_d, 1e-6)
    translated, target = np.array([0.2, -0.4, 1.0]), np.array([0.0, 0.0, 0.5])
    l1 = (0.2 + 0.4 + 0.5) / 3
    expected_g = softplus(-fake).mean() + 100.0 * l1
    assert float(losses.pix2pix_generator(fake, translated, target)) == pytest.approx(
        expected_g, 1e-5)


def test_cyclegan_losses_match_hand_computed_values():
    real, fake = np.array([0.9, 0.2]), np.array([0.1, 0.6])
    expected_d = 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2)
    assert float(losses.cyclegan_discriminator(real, fake)) == pytest.approx(expected_d, 1e-6)
    assert float(losses.cyclegan_generator(fake)) == pytest.approx(np.mean((fake - 1) ** 2))


def test_cyclegan_total_generator_loss_is_the_papers_sum():
    model = build(CYCLEGAN)
    a, b = tf.constant(faces(2)), tf.constant(faces(2, seed=1))
    logs = model.train_step((a, b))
    total = logs["g_gan"] + 10.0 * logs["cycle"] + 0.5 * 10.0 * logs["identity"]
    assert float(logs["g_loss"]) == pytest.approx(float(total), rel=1e-5)


def test_linear_decay_schedule():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
    assert [float(schedule(s)) for s in (0, 100, 150, 200, 300)] == pytest.approx(
        [2e-4, 2e-4, 1e-4, 0.0, 0.0])


# ------------------------------------------------------------------------ networks
def test_unet_skip_connections_join_mirrored_encoder_layers():
    net = unet_generator((32, 32, 1), (32, 32, 3), base_filters=4)
    joins = [layer for layer in net.layers if isinstance(layer, keras.layers.Concatenate)]
    assert len(joins) == 4  # 5 encoder layers (32 -> 1), every decoder layer but the last
    for join in joins:
        shapes = [tuple(t.shape[1:3]) for t in join.input]
        assert shapes[0] == shapes[1]
    # Through the skips, the output near a pixel depends on that pixel even in a deep net:
    x = tf.Variable(tf.zeros((1, 32, 32, 1)))
    with tf.GradientTape() as tape:
        out = net(x, training=False)[0, 5, 5, 0]
    assert float(tf.abs(tape.gradient(out, x))[0, 5, 5, 0]) > 0


@pytest.mark.parametrize("layers_count,field", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field(layers_count, field):
    size = 96
    net = patchgan_discriminator((size, size, 3), base_filters=2, layers_count=layers_count,
                                 norm="none")
    x = tf.Variable(tf.random.normal((1, size, size, 3)))
    with tf.GradientTape() as tape:
        logits = net(x)
        centre = logits[0, logits.shape[1] // 2, logits.shape[2] // 2, 0]
    touched = np.nonzero(np.abs(tape.gradient(centre, x).numpy()[0]).sum(-1))
    extent = max(touched[0].max() - touched[0].min(), touched[1].max() - touched[1].min()) + 1
    assert extent <= field and extent >= field - 4  # 'same' padding trims a few pixels


def test_resnet_generator_shapes_and_reflection_padding():
    net = resnet_generator((16, 16, 3), (16, 16, 1), base_filters=4, blocks=2)
    assert net(tf.zeros((2, 16, 16, 3))).shape == (2, 16, 16, 1)
    with pytest.raises(ValueError, match="halves the side twice"):
        resnet_generator((18, 18, 3), (18, 18, 3))


# --------------------------------------------------------------------------- pool
def test_image_pool_fills_then_swaps_half_the_time():
    pool = ImagePool(2, (1, 1, 1))
    rng = np.random.default_rng(0)

    def query(images):
        n = len(images)
        return pool.query(tf.constant(images, tf.float32), tf.constant(rng.random(n) > 0.5),
                          tf.constant(rng.integers(0, 2, n), tf.int32))

    first = query(np.array([1.0, 2.0]).reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(first.numpy().ravel(), [1, 2])  # filling: returned as is
    assert int(pool.count.value) == 2
    fresh = np.arange(100, 300, dtype=np.float32)  # distinct: a swap returns another value
    returned = query(fresh.reshape(-1, 1, 1, 1)).numpy().ravel()
    swapped = returned != fresh
    assert 0.4 < swapped.mean() < 0.6  # each image goes to the history with probability 1/2
    assert set(returned[swapped]) <= {1.0, 2.0, *fresh}  # ... and an older image comes back
    assert all(returned[i] < fresh[i] for i in np.nonzero(swapped)[0])
    assert set(pool.images.numpy().ravel()) <= set(fresh)  # 1 and 2 were swapped out


# ----------------------------------------------------------------------- training
def test_pix2pix_steps_change_weights_and_reduce_l1():
    model = build(PIX2PIX)
    targets = faces(8)
    sources = pairs.xdog_edges(targets)
    dataset = tf.data.Dataset.from_tensors((sources, targets)).repeat()
    before = [w.numpy().copy() for w in model.generator.weights]
    history = model.fit(dataset, steps_per_epoch=20, epochs=1, verbose=0)
    assert model.train_steps == 20
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.generator.weights))
    l1_now = float(losses.mean_absolute_error(model.generator(sources), targets))
    fresh = build(PIX2PIX, seed=0)
    l1_before = float(losses.mean_absolute_error(fresh.generator(sources), targets))
    assert l1_now < 0.7 * l1_before
    assert np.isfinite(history.history["d_loss"][-1])


def test_cyclegan_trains_and_round_trips_bit_exactly(tmp_path):
    """Steps reduce the cycle loss and decay the learning rate; the saved model (networks,
    optimizers, history pools) reloads bit-exactly; the shipped file holds both generators."""
    model = build(CYCLEGAN)
    a, b = faces(4), faces(4, seed=1)[..., ::-1]
    dataset = tf.data.Dataset.from_tensors((a, b)).repeat()
    history = model.fit(dataset, steps_per_epoch=6, epochs=2, verbose=0)
    assert history.history["cycle"][-1] < history.history["cycle"][0]
    assert float(model.g_optimizer.learning_rate) == pytest.approx(0.0)  # 2 + 4 steps done
    assert int(model.pool_a.count.value) == 3
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    images = blob_images(3)
    for direction in ("a2b", "b2a"):
        np.testing.assert_array_equal(loaded.translate(images, direction),
                                      model.translate(images, direction))
    np.testing.assert_array_equal(loaded.pool_b.images.numpy(), model.pool_b.images.numpy())
    assert loaded.train_steps == 12
    model.shipped_network().save_weights(tmp_path / "g.weights.h5")
    fresh = build(CYCLEGAN, seed=9)
    fresh.shipped_network().load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_array_equal(fresh.translate(images, "b2a"), model.translate(images, "b2a"))


def test_l1_only_baseline_trains_no_discriminator():
    model = build({**PIX2PIX, "objective": {"gan_weight": 0.0}})
    targets = faces(4)
    dataset = tf.data.Dataset.from_tensors((pairs.xdog_edges(targets), targets)).repeat()
    d_before = [w.numpy().copy() for w in model.discriminator.weights]
    logs = model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0).history
    assert logs["g_loss"][-1] == pytest.approx(100.0 * logs["g_l1"][-1], rel=1e-5)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(d_before,
                                                             model.discriminator.weights))


def test_wrong_data_gives_a_clear_error():
    model = build(PIX2PIX)
    dataset = tf.data.Dataset.from_tensors((faces(4), faces(4))).repeat()  # RGB as edges
    with pytest.raises(ValueError, match=r"takes edges images of shape \(16, 16, 1\)"):
        model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)


@pytest.mark.parametrize("config,objective,message", [
    (PIX2PIX, {"l1_weight": -1.0}, "l1_weight"),
    (CYCLEGAN, {"cycle_weight": -1.0}, "cycle_weight"),
    (CYCLEGAN, {"pool_size": -5}, "pool_size"),
])
def test_invalid_objective_parameters(config, objective, message):
    with pytest.raises(ValueError, match=message):
        build({**config, "objective": objective})


# ---------------------------------------------------------------------- translate
def test_translate_accepts_any_size_dtype_and_count():
    model = build(PIX2PIX)
    gray = np.random.default_rng(0).integers(0, 256, (20, 30), np.uint8)
    one = model.translate(gray)
    assert one.shape == (20, 30, 3) and one.dtype == np.uint8
    batch = model.translate(np.zeros((3, 16, 16, 1), np.float32))
    assert batch.shape == (3, 16, 16, 3)
    mixed = model.translate([gray, np.zeros((40, 40, 4), np.uint8)])  # RGBA: alpha dropped
    assert [m.shape for m in mixed] == [(20, 30, 3), (40, 40, 3)]
    # uint8 and the same picture as floats in [0, 1] translate identically
    np.testing.assert_array_equal(model.translate(gray[:16, :16]),
                                  model.translate(gray[:16, :16].astype(np.float32) / 255))
    # deterministic (dropout is off at inference)
    np.testing.assert_array_equal(model.translate(gray), one)


@pytest.mark.parametrize("call,message", [
    (lambda m: m.translate(np.zeros((20, 20), np.uint8), resize_to_fit=False),
     "pass resize_to_fit=True"),
    (lambda m: m.translate(np.full((16, 16), 3.0)), r"Float images must hold values in \[0, 1\]"),
    (lambda m: m.translate(np.zeros((16, 16, 3)), direction="b2a"), "translates one way only"),
    (lambda m: m.translate([]), "empty list"),
    (lambda m: m.translate(np.zeros((2, 16, 16, 5), np.uint8)), "got 5"),
])
def test_translate_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(build(PIX2PIX))


def test_cyclegan_translates_both_ways_and_rejects_unknown_directions():
    model = build(CYCLEGAN)
    image = blob_images(1)[0]
    assert model.translate(image, "b2a").shape == (16, 16, 3)
    assert not np.array_equal(model.translate(image, "a2b"), model.translate(image, "b2a"))
    with pytest.raises(ValueError, match=r"one of \['a2b', 'b2a'\]"):
        model.translate(image, "sideways")


def test_side_by_side_rows():
    model = build(PIX2PIX)
    edges = np.zeros((2, 16, 16, 1), np.uint8)
    rows = model.side_by_side(edges, targets=blob_images(2))
    assert rows.shape == (2, 16, 48, 3) and rows.dtype == np.uint8


# ----------------------------------------------------------- save, load, export
@pytest.mark.parametrize("config,directions", [(PIX2PIX, ["serving_default"]),
                                               (CYCLEGAN, ["serving_default", "a2b", "b2a"])])
def test_export_serves_the_same_images(tmp_path, config, directions):
    model = build(config)
    path = export(model, tmp_path)
    served = tf.saved_model.load(str(path))
    assert sorted(served.signatures) == sorted(directions)
    channels = config["source_shape"][-1]
    images = blob_images(3, channels=channels)
    for name in directions:
        signature = served.signatures[name]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.dtype == tf.uint8
        result = signature(images=tf.constant(images))["images"].numpy()
        direction = "a2b" if name == "serving_default" else name
        np.testing.assert_array_equal(result, model.translate(images, direction))


# ---------------------------------------------------------------------------- data
def test_xdog_edges_are_deterministic_line_drawings():
    images = faces(4)
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


def test_translation_scores_on_held_out_data(tmp_path):
    from ganzoo.metrics.classifier import classifier_network
    from ganzoo.metrics.translation import evaluate_translation

    folder = tmp_path / "faces"
    folder.mkdir()
    for i, image in enumerate(blob_images(12)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    model = build(PIX2PIX)
    scores = evaluate_translation(model, PIX2PIX, str(folder), ["l1"])
    assert scores["n_a"] == 3  # train[75%:] of 12 files
    held_out = np.stack([np.asarray(Image.open(folder / f"{i:02d}.png")) for i in (9, 10, 11)])
    edges = pairs.xdog_edges(held_out.astype(np.float32) / 127.5 - 1.0).numpy()
    edges = np.clip(np.round((edges + 1) * 127.5), 0, 255).astype(np.uint8)
    expected = np.abs(model.translate(edges).astype(float) - held_out).mean() / 255
    assert scores["l1"]["model"] == pytest.approx(expected, abs=1e-4)
    assert 0 < scores["l1"]["mean_target_baseline"] < 1
    # two-way: classifier shares and cycle reconstruction
    cycle = build(CYCLEGAN)
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


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def translation_zoo(tmp_path, monkeypatch):
    (tmp_path / "zoo_configs").mkdir()
    (tmp_path / "pretrained" / "tiny-pix2pix").mkdir(parents=True)
    model = build(PIX2PIX)
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
