"""Serving under load: exported zoo entries answered through the TF Serving REST contract.

No TF Serving binary installs here, so this harness (a bench tool, not a shipped server) serves
the exported SavedModels over HTTP with the same routes and JSON as TF Serving:

    GET  /v1/models/<name>                         -> model_version_status (AVAILABLE)
    POST /v1/models/<name>[/versions/<v>]:predict  -> {"predictions": ...} / {"outputs": ...}

and fires N concurrent requests of mixed batch sizes at it, checking every answer against the
exported signature called directly with the same inputs. Prints p50/p99 latency and images/s.

    python bench/serving_load.py --models dcgan-anime,cgan-mnist --requests 200
"""
import argparse
import json
import re
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

ROUTE = re.compile(r"^/v1/models/([\w.-]+)(?:/versions/(\d+))?(:predict)?$")


class ModelServer:
    """Loaded signatures by model name; an HTTP server speaking TF Serving's REST API."""

    def __init__(self, exports):
        import tensorflow as tf

        self.signatures, self.versions = {}, {}
        for name, path in exports.items():
            self.signatures[name] = tf.saved_model.load(str(path)).signatures["serving_default"]
            self.versions[name] = str(path).rstrip("/").split("/")[-1]
        self.httpd = None

    def handle(self, method, path, body):
        """(status code, JSON-able answer) for one request."""
        from ganzoo.export import rest_predict

        match = ROUTE.match(path)
        if not match or match.group(1) not in self.signatures:
            return 404, {"error": f"Servable not found for request: {path}"}
        name, version, predict = match.groups()
        if version and version != self.versions[name]:
            return 404, {"error": f"Servable not found: {name} version {version}"}
        if method == "GET" and not predict:
            return 200, {"model_version_status": [{
                "version": self.versions[name], "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""}}]}
        if method != "POST" or not predict:
            return 400, {"error": f"{method} {path} is not a TF Serving REST call."}
        try:
            return 200, rest_predict(self.signatures[name], json.loads(body))
        except (ValueError, KeyError, TypeError) as error:
            return 400, {"error": str(error)}
        except Exception as error:  # e.g. a tensor of the wrong shape, as TF Serving says
            return 400, {"error": type(error).__name__ + ": " + str(error).splitlines()[0]}

    def start(self, port=0):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                code, answer = server.handle(method, self.path, self.rfile.read(length))
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 (http.server's names)
                self._answer("GET")

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.request_queue_size = 256  # 200 clients connect at once
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def load_test(server, base_url, models, num_requests=200, batch_sizes=(1, 2, 4, 8, 16),
              seed=0):
    """Sends `num_requests` predict calls at once (one thread each, mixed models, batch sizes
    and row/columnar formats); checks each answer against the signature called directly.
    Returns a summary dict."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(num_requests):
        name = models[i % len(models)]
        specs = server.signatures[name].structured_input_signature[1]
        n = int(rng.choice(batch_sizes))
        inputs = {"z": rng.standard_normal((n, specs["z"].shape[-1])).astype(np.float32)}
        if "labels" in specs:
            inputs["labels"] = rng.integers(0, 10, n).astype(np.int32)
        jobs.append((name, inputs, i % 2 == 0))

    def send(job):
        name, inputs, rows = job
        if rows:
            body = {"instances": [{k: v[j].tolist() for k, v in inputs.items()}
                                  for j in range(len(inputs["z"]))]}
        else:
            body = {"inputs": {k: v.tolist() for k, v in inputs.items()}}
        start = time.perf_counter()
        code, answer = _call(f"{base_url}/v1/models/{name}:predict", body)
        return code, answer, time.perf_counter() - start

    start = time.perf_counter()
    barrier = threading.Barrier(num_requests)

    def send_together(job):
        barrier.wait()  # all requests in flight at once
        return send(job)

    with ThreadPoolExecutor(max_workers=num_requests) as pool:
        results = list(pool.map(send_together, jobs))
    wall = time.perf_counter() - start

    wrong = 0
    for (name, inputs, rows), (code, answer, _) in zip(jobs, results):
        expected = server.signatures[name](**{k: tf.constant(v) for k, v in inputs.items()})
        expected = expected["images"].numpy()
        got = np.asarray(answer["predictions"] if rows else answer.get("outputs", []))
        if code != 200 or got.shape != expected.shape or not np.array_equal(got, expected):
            wrong += 1
    latencies = sorted(r[2] for r in results)
    images = sum(len(inputs["z"]) for _, inputs, _ in jobs)
    return {"requests": num_requests, "wrong_answers": wrong, "images": images,
            "wall_s": round(wall, 2), "images_per_s": round(images / wall, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1,
                                                 int(0.99 * len(latencies)))], 1)}


def main():
    import ganzoo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="dcgan-anime,cgan-mnist")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    models = args.models.split(",")
    with tempfile.TemporaryDirectory() as base:
        exports = {name: ganzoo.export(ganzoo.load(name), base, name=name) for name in models}
        server = ModelServer(exports)
        url = server.start()
        for name in models:
            code, status = _call(f"{url}/v1/models/{name}")
            print(name, code, status["model_version_status"][0]["state"])
        for name in models:  # first calls trace the functions: keep them out of the timing
            specs = server.signatures[name].structured_input_signature[1]
            warm = {"z": [[0.0] * specs["z"].shape[-1]]}
            if "labels" in specs:
                warm["labels"] = [0]
            _call(f"{url}/v1/models/{name}:predict", {"inputs": warm})
        summary = load_test(server, url, models, args.requests)
        server.stop()
    summary["models"] = models
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
