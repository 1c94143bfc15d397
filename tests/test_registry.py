"""The zoo's read path: config validation with messages naming the file and the field, and no
TensorFlow on the way (the CLI's list/info/--help rely on it)."""
import json
import subprocess
import sys

import pytest

from conftest import TINY_CONFIG, run_cli
from ganzoo import registry


@pytest.fixture
def zoo_dir(tmp_path, monkeypatch):
    (tmp_path / "zoo_configs").mkdir()
    (tmp_path / "zoo_configs" / "tiny-dcgan.json").write_text(json.dumps(TINY_CONFIG))
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path))
    return tmp_path


def _write(zoo_dir, name, text):
    path = zoo_dir / "zoo_configs" / f"{name}.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("change,message", [
    (lambda c: c.pop("latent_dim"), r"field 'latent_dim' is missing"),
    (lambda c: c.update(latent_dim="8"), r"field 'latent_dim' must be a positive integer"),
    (lambda c: c.update(image_shape=[16, 16]), r"field 'image_shape' must be \[height, width"),
    (lambda c: c.pop("generator"), r"field 'generator' is missing"),
    (lambda c: c.update(discriminator="dcgan"), r"field 'discriminator' must be an object"),
    (lambda c: c.update(name="other"), r"field 'name' is 'other' but the file is broken\.json"),
    (lambda c: c.update(weights={"file": "x.h5", "sha256": "abc"}), r"field 'weights'"),
    (lambda c: c.update(num_classes=2, class_names=["a"]), r"field 'class_names'"),
])
def test_invalid_fields_are_named_with_the_file(zoo_dir, change, message):
    config = json.loads(json.dumps(TINY_CONFIG))
    config["name"] = "broken"
    change(config)
    path = _write(zoo_dir, "broken", json.dumps(config))
    with pytest.raises(registry.ConfigError, match=message) as error:
        registry.get_config("broken")
    assert str(error.value).startswith(str(path))


def test_invalid_json_names_the_file_and_position(zoo_dir):
    path = _write(zoo_dir, "broken", '{"variant": "dcgan",\n  "latent_dim": }')
    with pytest.raises(registry.ConfigError, match=r"is not valid JSON: .* line 2"):
        registry.get_config("broken")
    with pytest.raises(registry.ConfigError, match=str(path)):
        registry.get_config("broken")


def test_list_shows_every_valid_entry_and_names_the_broken_one(zoo_dir):
    _write(zoo_dir, "broken", "{not json")
    result = run_cli("list", env_extra={"GANZOO_HOME": str(zoo_dir)})
    assert "tiny-dcgan" in result.stdout and "dcgan" in result.stdout
    assert "broken" in result.stdout and "invalid config" in result.stdout
    assert "broken.json is not valid JSON" in result.stderr and "Traceback" not in result.stderr
    assert result.returncode == 2
    info = run_cli("info", "broken", env_extra={"GANZOO_HOME": str(zoo_dir)})
    assert info.returncode == 2 and "broken.json is not valid JSON" in info.stderr


def test_help_list_and_info_do_not_import_tensorflow(zoo_dir):
    script = (
        "import sys, contextlib, io\n"
        "from ganzoo import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['list']) == 0\n"
        "    assert cli.main(['info', 'tiny-dcgan']) == 0\n"
        "    for command in ([], ['sample'], ['train'], ['evaluate']):\n"
        "        try:\n"
        "            cli.main(command + ['--help'])\n"
        "        except SystemExit:\n"
        "            pass\n"
        "import ganzoo\n"
        "ganzoo.list_models(), ganzoo.get_config('tiny-dcgan')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"GANZOO_HOME": str(zoo_dir), "PATH": ""}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_each_command_lists_its_own_flags():
    train = run_cli("train", "--help")
    assert train.returncode == 0 and "--batch_size" in train.stdout
    assert "--grid_by_class" not in train.stdout
    sample = run_cli("sample", "--help")
    assert "--grid_by_class" in sample.stdout and "--batch_size" not in sample.stdout
    top = run_cli("--help")
    for command in ("list", "info", "sample", "train", "export", "evaluate", "translate",
                    "publish"):
        assert command in top.stdout
    assert top.stderr == ""
