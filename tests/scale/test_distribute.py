"""tf.distribute and mixed precision through the shared base class."""
import json
import logging
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO_ROOT
from ganzoo import distribute, zoo

HERE = os.path.dirname(os.path.abspath(__file__))


def test_two_replicas_match_one_device_for_every_kind_of_objective():
    # A subprocess: the CPU is split into 2 logical devices before TensorFlow starts.
    # One variant per distinct mechanism (each costs two traced fits): several D steps per G
    # step and a gradient penalty (wgan-gp), a state variable updated each step (began's k),
    # labels and an auxiliary classifier (acgan), image pairs and two networks per optimizer
    # (cyclegan). The rest: `python tests/scale/replica_equivalence.py` with no arguments.
    variants = ["wgan-gp", "began", "acgan", "cyclegan"]
    out = subprocess.run([sys.executable, os.path.join(HERE, "replica_equivalence.py"),
                          *variants], capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULTS ")]
    assert line, out.stderr[-3000:]
    results = json.loads(line[0][len("RESULTS "):])
    assert sorted(results) == sorted(variants)
    for variant, result in results.items():
        assert result["moved"] > 1e-5, variant  # the steps really trained
        assert result["max_weight_diff"] < 1e-5, variant
        for name, value in result["logs_1"].items():  # losses aggregated over both replicas
            assert result["logs_2"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name


def test_strategy_and_batch_errors():
    with pytest.raises(ValueError, match="Unknown strategy 'horovod'.*mirrored"):
        distribute.make_strategy("horovod")

    class FourReplicas:
        num_replicas_in_sync = 4

    with pytest.raises(ValueError, match="Batch size 30 does not split evenly over 4 "
                                         "replicas.*e.g. 28 or 32"):
        distribute.check_global_batch(30, FourReplicas())
    distribute.check_global_batch(32, FourReplicas())
    assert distribute.is_chief(tf.distribute.get_strategy())


@pytest.mark.parametrize("text,message", [
    ("", "needs TF_CONFIG"),
    ("{cluster:", "not valid JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', "needs a 'cluster' dict"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
     "does not name a member"),
    ('{"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}}', "host:port"),
])
def test_malformed_tf_config(text, message):
    with pytest.raises(ValueError, match=message):
        distribute.parse_tf_config(text)


@pytest.fixture
def restore_policy():
    yield
    keras.mixed_precision.set_dtype_policy("float32")


def test_float16_falls_back_on_a_cpu_only_machine(restore_policy, caplog):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        assert distribute.set_precision("mixed_float16") == "float32"
    assert "mixed_float16 needs a GPU" in caplog.text
    with pytest.raises(ValueError, match="Unknown precision 'fp8'"):
        distribute.set_precision("fp8")


CPUINFO = "processor\t: 0\nmodel name\t: test CPU\nflags\t\t: fpu sse2 avx2 fma{}\n"


@pytest.mark.parametrize("extra, expected", [("", False), (" avx512f avx512_bf16", True),
                                             (" amx_bf16 amx_tile", True)])
def test_native_bfloat16_is_read_from_the_cpu_flags(tmp_path, extra, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO.format(extra))
    assert distribute.cpu_has_native_bfloat16(str(cpuinfo)) is expected
    assert distribute.cpu_has_native_bfloat16(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("native, expected", [(True, "mixed_bfloat16"), (False, "float32"),
                                              (None, "float32")])
def test_auto_precision_picks_bfloat16_only_where_it_is_native(monkeypatch, restore_policy,
                                                               native, expected):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    monkeypatch.setattr(distribute, "cpu_has_native_bfloat16", lambda: native)
    assert distribute.set_precision("auto") == expected
    assert keras.mixed_precision.dtype_policy().name == expected


def test_emulated_bfloat16_is_kept_but_warned_about(monkeypatch, restore_policy, caplog):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    for native, warned in [(False, True), (True, False), (None, False)]:
        monkeypatch.setattr(distribute, "cpu_has_native_bfloat16", lambda: native)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ganzoo"):
            assert distribute.set_precision("mixed_bfloat16") == "mixed_bfloat16"
        assert ("without AVX512_BF16 or AMX-BF16" in caplog.text) is warned


def _fit_a_few_steps(tiny_config, tiny_dataset, steps=3):
    model = zoo.build(tiny_config, seed=1)
    before = [w.numpy().astype(np.float32) for w in model.generator.trainable_weights]
    history = model.fit(tiny_dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    after = [w.numpy().astype(np.float32) for w in model.generator.trainable_weights]
    return model, history, max(float(np.abs(a - b).max()) for a, b in zip(before, after))


def test_bfloat16_policy_trains_with_float32_outputs_and_losses(tiny_config, tiny_dataset,
                                                                restore_policy):
    assert distribute.set_precision("mixed_bfloat16") == "mixed_bfloat16"
    model, history, moved = _fit_a_few_steps(tiny_config, tiny_dataset)
    conv = [layer for layer in model.generator.layers if "conv" in layer.name][0]
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    assert model.generator(np.zeros((2, 8), np.float32)).dtype == "float32"
    logits = model.discriminator(np.zeros((2, 16, 16, 3), np.float32))
    assert logits.dtype == "float32"
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert moved > 0


def test_float16_policy_uses_loss_scaling(tiny_config, tiny_dataset, restore_policy):
    keras.mixed_precision.set_dtype_policy("mixed_float16")  # forced, even on a CPU
    model, history, moved = _fit_a_few_steps(tiny_config, tiny_dataset)
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert moved > 0


def test_multiworker_run_on_two_local_processes(tmp_zoo, tmp_path):
    """Two `ganzoo train` processes form a MultiWorkerMirroredStrategy cluster on 127.0.0.1;
    both finish, and only the chief writes the run directory."""
    import socket

    from PIL import Image

    from conftest import blob_images

    data = tmp_path / "images"
    data.mkdir()
    for i, image in enumerate(blob_images(32)):
        Image.fromarray(image).save(data / f"{i:03d}.png")
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "ganzoo.cli", "train", "tiny-dcgan", "--data", str(data),
             "--steps", "4", "--batch_size", "8", "--checkpoint_every", "2", "--strategy",
             "multiworker", "--out", str(tmp_path / f"run{index}")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT))
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
    state = json.loads((tmp_path / "run0" / "state.json").read_text())
    assert state["step"] == 4
    assert not (tmp_path / "run1").exists()  # the non-chief worker writes nothing
