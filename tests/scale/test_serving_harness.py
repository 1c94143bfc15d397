"""The bench/serving_load.py harness: TF Serving's REST routes over real HTTP, concurrent."""
import os
import sys

import pytest

import ganzoo
from conftest import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "bench"))
import serving_load  # noqa: E402


@pytest.fixture
def served(tiny_model, tmp_path):
    path = ganzoo.export(tiny_model, tmp_path, name="tiny")
    server = serving_load.ModelServer({"tiny": path})
    url = server.start()
    yield server, url
    server.stop()


def test_concurrent_mixed_batches_all_answer_correctly(served):
    server, url = served
    summary = serving_load.load_test(server, url, ["tiny"], num_requests=24,
                                     batch_sizes=(1, 3, 8))
    assert summary["wrong_answers"] == 0 and summary["requests"] == 24
    assert summary["p99_ms"] >= summary["p50_ms"] > 0


def test_status_and_errors_follow_tf_serving(served):
    _, url = served
    code, status = serving_load._call(f"{url}/v1/models/tiny")
    assert code == 200 and status["model_version_status"][0]["state"] == "AVAILABLE"
    assert serving_load._call(f"{url}/v1/models/nope")[0] == 404
    assert serving_load._call(f"{url}/v1/models/tiny/versions/7:predict",
                              {"inputs": {"z": [[0.0] * 8]}})[0] == 404
    code, answer = serving_load._call(f"{url}/v1/models/tiny:predict", {"inputs": {"z": [[0.0]]}})
    assert code == 400 and "error" in answer  # wrong latent size: a 400 with a message
    code, answer = serving_load._call(f"{url}/v1/models/tiny/versions/1:predict",
                                      {"instances": [[0.0] * 8, [0.1] * 8]})
    assert code == 200 and len(answer["predictions"]) == 2
