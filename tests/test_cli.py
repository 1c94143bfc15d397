"""The `ganzoo` command line, end to end in a temporary directory: in this process (see
`conftest.run_cli`), and in a fresh one where only a process shows it (start-up log lines)."""
import argparse
import json

import numpy as np
import pytest
from PIL import Image

from conftest import blob_images, run_cli


@pytest.fixture
def env(tmp_zoo):
    return {"GANZOO_HOME": str(tmp_zoo)}


# TensorFlow's own log level left unset, as a user's shell has it: the CLI must keep the
# C++ start-up and tf.data messages off stderr itself.
QUIET = {"TF_CPP_MIN_LOG_LEVEL": ""}


def test_list_info_sample(env, tmp_path):
    listed = run_cli("list", env_extra=env)
    assert listed.returncode == 0 and "tiny-dcgan" in listed.stdout
    info = run_cli("info", "tiny-dcgan", env_extra=env)
    assert json.loads(info.stdout)["variant"] == "dcgan"
    out = tmp_path / "grid.png"
    sampled = run_cli("sample", "tiny-dcgan", "--num", "6", "--seed", "3", "--cols", "3",
                      "--out", str(out), env_extra={**env, **QUIET}, subprocess=True)
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stderr == ""  # no oneDNN / absl / TF start-up lines
    grid = np.asarray(Image.open(out))
    assert grid.shape == (2 * 18 + 2, 3 * 18 + 2, 3)  # 2 rows x 3 cols of 16 px + padding


def image_folder(tmp_path, count=16):
    data = tmp_path / "images"
    data.mkdir()
    for i, image in enumerate(blob_images(count)):
        Image.fromarray(image).save(data / f"{i}.png")
    return data


def test_train_resume_and_export(env, tmp_path):
    data, run = image_folder(tmp_path), tmp_path / "run"
    first = run_cli("train", "tiny-dcgan", "--data", str(data), "--steps", "3", "--out",
                    str(run), "--checkpoint_every", "2", env_extra={**env, **QUIET},
                    subprocess=True)
    assert first.returncode == 0, first.stderr
    assert json.loads((run / "state.json").read_text())["step"] == 3
    second = run_cli("train", "tiny-dcgan", "--data", str(data), "--steps", "5", "--out",
                     str(run), "--checkpoint_every", "2", env_extra=env)
    assert second.returncode == 0, second.stderr
    assert "Resuming" in second.stdout and "from step 3" in second.stdout
    assert json.loads((run / "state.json").read_text())["step"] == 5
    assert "oneDNN" not in first.stderr and "absl" not in first.stderr, first.stderr
    assert "did not fully read" not in first.stderr + second.stderr
    # A resume must not silently change the batches, noise or data it was started with.
    changed = run_cli("train", "tiny-dcgan", "--data", str(tmp_path), "--steps", "7", "--out",
                      str(run), "--batch_size", "4", "--seed", "9", env_extra=env)
    assert changed.returncode == 2 and "Traceback" not in changed.stderr
    for difference in ("--batch_size 4 (the run has 8)", "--seed 9 (the run has None)",
                       f"--data {tmp_path} (the run has {data})"):
        assert difference in changed.stderr, changed.stderr
    assert json.loads((run / "state.json").read_text())["step"] == 5
    exported = run_cli("export", "tiny-dcgan", "--run", str(run), "--out",
                       str(tmp_path / "models"), env_extra=env)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "models" / "tiny-dcgan" / "1" / "saved_model.pb").is_file()
    again = run_cli("export", "tiny-dcgan", "--out", str(tmp_path / "models"), env_extra=env)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert "Traceback" not in again.stderr
    # publish ships the run's generator with a record that reproduces it
    published = run_cli("publish", "tiny-dcgan", "--run", str(run), "--notes", "a test run",
                        env_extra=env)
    assert published.returncode == 0, published.stderr
    training = json.loads(run_cli("info", "tiny-dcgan", env_extra=env).stdout)[
        "training_record"]
    assert training["steps"] == 5 and training["notes"] == "a test run"
    assert training["command"].startswith(f"ganzoo train tiny-dcgan --data {data} --steps 5")
    samples = [tmp_path / "shipped.png", tmp_path / "run.png"]
    for out, extra in zip(samples, ([], ["--run", str(run)])):
        assert run_cli("sample", "tiny-dcgan", "--seed", "1", "--num", "4", "--out", str(out),
                       *extra, env_extra=env).returncode == 0
    np.testing.assert_array_equal(*(np.asarray(Image.open(path)) for path in samples))
    # evaluate --run without --data compares with the FID reference named in the run's config
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "reference": "no-such-reference"}))
    scored = run_cli("evaluate", "tiny-dcgan", "--run", str(run), "--metrics", "fid",
                     env_extra=env)
    assert scored.returncode != 0 and "no-such-reference" in scored.stderr, scored.stderr
    assert "give the real data" not in scored.stderr and "Traceback" not in scored.stderr


def test_unreadable_checkpoints_are_never_overwritten(env, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("checkpoint.keras", "checkpoint.prev.keras"):
        (run / name).write_bytes(b"")
    result = run_cli("train", "tiny-dcgan", "--data", str(tmp_path), "--steps", "2", "--out",
                     str(run), env_extra=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "none can be read" in result.stderr and "checkpoint.prev.keras (0 bytes" in \
        result.stderr
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.keras",
                                                      "checkpoint.prev.keras"]
    assert all((run / p).stat().st_size == 0 for p in ("checkpoint.keras",
                                                        "checkpoint.prev.keras"))


@pytest.mark.parametrize("args,message", [
    (("train", "tiny-dcgan", "--data", "d", "--steps", "0"), "--steps: must be a positive"),
    (("train", "tiny-dcgan", "--data", "d", "--batch_size", "0"), "--batch_size: must be a "),
    (("train", "tiny-dcgan", "--data", "d", "--checkpoint_every", "-1"),
     "--checkpoint_every: must be a positive integer, got -1"),
    (("sample", "tiny-dcgan", "--cols", "0"), "--cols: must be a positive integer"),
    (("sample", "tiny-dcgan", "--seed", "-2"), "--seed: must be an integer >= 0"),
    (("sample", "tiny-dcgan", "--num", "1000000000"), "would make a grid of 715.3 GiB"),
    (("evaluate", "tiny-dcgan", "--num", "x"), "--num: must be a positive integer, got 'x'"),
    (("sample",), "the following arguments are required: NAME"),
])
def test_out_of_range_flags_are_refused_before_any_work(env, args, message):
    result = run_cli(*args, env_extra=env)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("args,message", [
    (("sample", "tiny-dcgna"), "Did you mean tiny-dcgan"),
    (("sample", "tiny-dcgan", "--num", "0"), "--num: must be a positive integer"),
    (("train", "tiny-dcgan", "--steps", "2"), "train needs --data"),
    (("train", "tiny-dcgan", "--data", "/no/such/dir", "--steps", "2"), "does not exist"),
])
def test_bad_input_gives_a_clear_error(env, tmp_path, args, message):
    result = run_cli(*args, "--out", str(tmp_path / "x"), env_extra=env)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_resume_with_precision_auto_keeps_the_runs_precision(tmp_path):
    from ganzoo.runs import RunError as UsageError, resolve_resume

    run = {"data": str(tmp_path), "batch_size": 8, "seed": 0, "precision": "float32"}
    fields = dict(out="run", data=None, split=None, batch_size=None, seed=None,
                  labels_csv=None, pairs=None)
    args = argparse.Namespace(**fields, precision="auto")
    resolve_resume(args, run)  # auto on this or any other machine: the run's own policy
    assert args.precision == "float32" and args.batch_size == 8
    # A different policy is allowed: the resume rebuilds the model under it.
    assert resolve_resume(argparse.Namespace(**fields, precision="mixed_bfloat16"),
                          run) == ("float32", "mixed_bfloat16")
    with pytest.raises(UsageError, match=r"--batch_size 4 \(the run has 8\)"):
        resolve_resume(argparse.Namespace(**dict(fields, batch_size=4), precision=None), run)


def test_resume_with_a_new_precision_and_recipe_continues_the_run(env, tmp_path):
    data, run = image_folder(tmp_path), tmp_path / "run"
    train = ("train", "tiny-dcgan", "--data", str(data), "--out", str(run),
             "--checkpoint_every", "2")
    assert run_cli(*train, "--steps", "2", env_extra=env).returncode == 0
    recipe = tmp_path / "augment.json"
    recipe.write_text(json.dumps({"augment": "translation"}))
    resumed = run_cli(*train, "--steps", "4", "--precision", "mixed_bfloat16", "--recipe",
                      str(recipe), env_extra=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "from step 2 with precision float32 -> mixed_bfloat16" in resumed.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["augment"] == "translation"
    assert config["run"]["precision"] == "mixed_bfloat16"
    assert config["run"]["changes"] == [{"step": 2, "precision": "float32 -> mixed_bfloat16",
                                         "recipe": str(recipe),
                                         "fields": {"augment": "translation"}}]
    assert json.loads((run / "state.json").read_text())["step"] == 4
    # The next plain resume keeps the changed model (its checkpoint has it).
    again = run_cli(*train, "--steps", "6", env_extra=env)
    assert again.returncode == 0 and "from step 4" in again.stdout, again.stderr
    # publish keeps the augmentation and says what changed at which step.
    assert run_cli("publish", "tiny-dcgan", "--run", str(run), env_extra=env).returncode == 0
    info = json.loads(run_cli("info", "tiny-dcgan", env_extra=env).stdout)
    assert info["augment"] == "translation"
    assert info["training_record"]["changes"] == config["run"]["changes"]
    assert info["training_record"]["precision"] == "mixed_bfloat16"
    assert "--precision" not in info["training_record"]["command"]  # it started in float32
    # The bfloat16 run is sampled in float32, like its published weights.
    samples = [tmp_path / "shipped.png", tmp_path / "run.png"]
    for out, extra in zip(samples, ([], ["--run", str(run)])):
        assert run_cli("sample", "tiny-dcgan", "--seed", "1", "--num", "4", "--out", str(out),
                       *extra, env_extra=env).returncode == 0
    np.testing.assert_array_equal(*(np.asarray(Image.open(path)) for path in samples))
    # A recipe that changes the networks cannot continue the run: refused, nothing lost.
    before = (run / "checkpoint.keras").read_bytes()
    recipe.write_text(json.dumps({"generator": {"type": "dcgan", "base_filters": 8}}))
    wider = run_cli(*train, "--steps", "8", "--recipe", str(recipe), env_extra=env)
    assert wider.returncode == 2 and "Traceback" not in wider.stderr
    assert "does not fit the rebuilt model" in wider.stderr, wider.stderr
    assert (run / "checkpoint.keras").read_bytes() == before


def test_init_from_grows_a_finished_run_into_a_wider_new_one(env, tmp_path):
    data, narrow, wide = image_folder(tmp_path), tmp_path / "narrow", tmp_path / "wide"
    assert run_cli("train", "tiny-dcgan", "--data", str(data), "--steps", "2", "--out",
                   str(narrow), env_extra=env).returncode == 0
    recipe = tmp_path / "wider.json"
    recipe.write_text(json.dumps({"generator": {"type": "dcgan", "base_filters": 6},
                                  "discriminator": {"type": "dcgan", "base_filters": 6}}))
    train = ("train", "tiny-dcgan", "--data", str(data), "--recipe", str(recipe),
             "--init_from", str(narrow), "--out", str(wide))
    grown = run_cli(*train, "--steps", "2", env_extra=env)
    assert grown.returncode == 0, grown.stderr
    assert "Initialised from" in grown.stdout and "(step 2)" in grown.stdout
    run = json.loads((wide / "config.json").read_text())
    assert run["generator"]["base_filters"] == 6
    parent = json.loads((narrow / "state.json").read_text())
    assert run["run"]["init_from"]["step"] == 2
    assert run["run"]["init_from"]["images_seen"] == parent["images_seen"] > 0
    assert run["run"]["init_from"]["wall_time_s"] == parent["wall_time_s"] > 0
    assert json.loads((wide / "state.json").read_text())["step"] == 2  # its own count
    again = run_cli(*train, "--steps", "3", env_extra=env)  # the same command resumes
    assert again.returncode == 0 and "from step 2" in again.stdout, again.stderr
    # Narrower networks, or a run without a checkpoint, are refused with the reason.
    recipe.write_text(json.dumps({"generator": {"type": "dcgan", "base_filters": 2}}))
    for source, message in ((narrow, "only widens"), (tmp_path / "none", "no checkpoint")):
        refused = run_cli("train", "tiny-dcgan", "--data", str(data), "--steps", "2",
                          "--recipe", str(recipe), "--init_from", str(source), "--out",
                          str(tmp_path / "refused"), env_extra=env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert message in refused.stderr, refused.stderr


@pytest.mark.parametrize("fields,message", [
    ({"weights": None}, "weights cannot be replaced by a recipe"),
    ([1, 2], "expected a JSON object of config fields"),
    ({"augment": 3}, "field 'augment' must be a DiffAugment policy"),
])
def test_bad_recipes_are_refused(env, tmp_path, fields, message):
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps(fields))
    result = run_cli("train", "tiny-dcgan", "--data", str(tmp_path), "--steps", "2",
                     "--recipe", str(recipe), "--out", str(tmp_path / "run"), env_extra=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
