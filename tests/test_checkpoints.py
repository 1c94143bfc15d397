"""The training states handed over between machines in checkpoints/ (see its README) must
belong to their entry as it is configured now, and must be complete."""
import zipfile
from pathlib import Path

import pytest

from ganzoo import registry
from ganzoo.runs import read_recipe
from ganzoo.training import read_run_config, read_state, starting_recipe

ROOT = Path(__file__).resolve().parents[1] / "checkpoints"
STATES = sorted(p.name for p in ROOT.iterdir() if p.is_dir()) if ROOT.is_dir() else []
# What decides the model and its updates; weights/quality/description change on publishing.
ARCHITECTURE = ("variant", "latent_dim", "image_shape", "generator", "discriminator",
                "objective", "ema_decay", "optimizers", "augment", "num_classes")


@pytest.mark.parametrize("name", STATES)
def test_training_state_matches_its_entry_and_is_complete(name):
    folder = ROOT / name
    run_config, state = read_run_config(folder), read_state(folder)
    entry = registry.get_config(name)
    candidate = starting_recipe(run_config)  # a candidate run, published only if better
    if candidate:
        # It must be the recipe as the repository has it, applied to the entry as it is now.
        recipe_file = ROOT.parent / candidate["recipe"]
        assert recipe_file.is_file(), f"checkpoints/{name} names a missing {recipe_file}"
        entry, fields = read_recipe(recipe_file, entry)
        assert fields == candidate["fields"], (
            f"{candidate['recipe']} has changed since checkpoints/{name} was started with it")
    elif entry.get("weights"):  # interim weights ship while training goes on
        published = (registry.training_record(name) or {}).get("steps", 0)
        assert state["step"] >= published, (
            f"checkpoints/{name} is at step {state['step']}, behind the published weights "
            f"(step {published}): resuming it would retrain what is already shipped")
    for field in ARCHITECTURE:
        assert run_config.get(field) == entry.get(field), (
            f"checkpoints/{name} was trained with {field}={run_config.get(field)!r}, the "
            f"entry now says {entry.get(field)!r}")
    assert state["step"] > 0 and state["images_seen"] == state["step"] * run_config["run"][
        "batch_size"]
    with zipfile.ZipFile(folder / "checkpoint.keras") as archive:  # complete, not truncated
        assert archive.testzip() is None
        assert "model.weights.h5" in archive.namelist()
