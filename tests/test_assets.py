"""Shipped files by path, cache or download (`ganzoo.assets`), against a real HTTP server on
127.0.0.1: a good download, a corrupted one, an interrupted one, an offline machine; and the
wheel's contents (hatch_build.py) under PyPI's 100 MB."""
import hashlib
import http.server
import os
import socket
import sys
import threading

import pytest

from conftest import REPO_ROOT
from ganzoo import assets

PAYLOAD = os.urandom(200_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()
RELATIVE = "some-entry/generator.weights.h5"


class Handler(http.server.BaseHTTPRequestHandler):
    mode = "good"
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        if self.path != "/pretrained/some-entry/generator.weights.h5":
            self.send_error(404)
            return
        body = PAYLOAD if self.mode != "corrupt" else PAYLOAD[:-1] + b"x"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.mode == "interrupt":  # half the promised bytes, then the connection drops
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch, tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.mode, Handler.hits = "good", 0
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(assets.REMOTE_ENV, f"http://127.0.0.1:{httpd.server_port}/pretrained")
    monkeypatch.chdir(tmp_path)  # no pretrained/ in the working directory
    yield httpd
    httpd.shutdown()


def _cache_files(tmp_path):
    root = tmp_path / "cache"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


def test_a_good_download_is_verified_cached_and_reused(server, tmp_path):
    path = assets.resolve(RELATIVE, SHA, what="Weights")
    assert path == tmp_path / "cache" / "pretrained" / RELATIVE
    assert path.read_bytes() == PAYLOAD and Handler.hits == 1
    assert assets.resolve(RELATIVE, SHA) == path and Handler.hits == 1  # from the cache
    path.write_bytes(b"damaged")  # a damaged cached file is fetched again
    assert assets.resolve(RELATIVE, SHA).read_bytes() == PAYLOAD and Handler.hits == 2


def test_a_corrupted_download_is_never_cached(server, tmp_path):
    Handler.mode = "corrupt"
    with pytest.raises(assets.AssetError, match=r"Weights downloaded from http://127\.0\.0\.1:"
                                                r"\d+/pretrained/some-entry/generator"
                                                r".* does not match its recorded SHA-256"):
        assets.resolve(RELATIVE, SHA, what="Weights")
    assert _cache_files(tmp_path) == []


def test_an_interrupted_download_is_never_cached(server, tmp_path):
    Handler.mode = "interrupt"
    with pytest.raises(assets.AssetError, match="Could not download|stopped after"):
        assets.resolve(RELATIVE, SHA, what="Weights")
    assert _cache_files(tmp_path) == []
    Handler.mode = "good"  # and the next try succeeds
    assert assets.resolve(RELATIVE, SHA).read_bytes() == PAYLOAD


def test_an_offline_machine_gets_a_clear_error(server, tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(assets.REMOTE_ENV, f"http://127.0.0.1:{port}/pretrained")
    with pytest.raises(assets.AssetError) as info:
        assets.resolve(RELATIVE, SHA, what="Weights")
    message = str(info.value)
    assert f"Could not download Weights from http://127.0.0.1:{port}/pretrained/{RELATIVE}" \
        in message and "Nothing was cached" in message and "GANZOO_REMOTE" in message
    assert _cache_files(tmp_path) == []


def test_without_a_remote_the_error_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(assets.REMOTE_ENV, raising=False)
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    with pytest.raises(assets.AssetError, match=r"is missing: it is in no local pretrained/.*"
                                                r"set GANZOO_REMOTE"):
        assets.resolve(RELATIVE, SHA, what="Weights")


def test_resolution_order_explicit_then_local_tree_then_cache(server, tmp_path, monkeypatch):
    explicit = tmp_path / "mine.h5"
    explicit.write_bytes(PAYLOAD)
    assert assets.resolve(RELATIVE, SHA, explicit=explicit) == explicit
    explicit.write_bytes(b"other")
    with pytest.raises(assets.AssetError, match="does not match its recorded SHA-256"):
        assets.resolve(RELATIVE, SHA, explicit=explicit)
    home = tmp_path / "home"
    (home / "pretrained" / "some-entry").mkdir(parents=True)
    (home / "pretrained" / RELATIVE).write_bytes(PAYLOAD)
    monkeypatch.setenv("GANZOO_HOME", str(home))
    assert assets.resolve(RELATIVE, SHA) == (home / "pretrained" / RELATIVE).resolve()
    assert Handler.hits == 0  # a local copy needs no network


def test_shipped_entries_resolve_from_the_checkout_without_network(monkeypatch):
    from ganzoo import registry

    monkeypatch.delenv(assets.REMOTE_ENV, raising=False)
    monkeypatch.chdir(REPO_ROOT)
    path = registry.verified_weights_path(registry.get_config("sngan-anime"))
    assert path.is_file() and "pretrained" in path.parts


def test_the_wheel_carries_the_zoo_but_not_the_evaluation_only_files():
    sys.path.insert(0, REPO_ROOT)
    try:
        from hatch_build import packaged
    finally:
        sys.path.remove(REPO_ROOT)
    files = packaged(REPO_ROOT)
    inside = set(files.values())
    assert "ganzoo/_zoo_data/zoo_configs/sngan-anime.json" in inside
    assert "ganzoo/_zoo_data/pretrained/sngan-anime/generator.weights.h5" in inside
    assert "ganzoo/_zoo_data/pretrained/reference/anime-faces-all.json" in inside
    assert not any(name.endswith((".fid-stats.npz",)) or
                   ("/evaluators/" in name and not name.endswith(".json")) for name in inside)
    size = sum(os.path.getsize(path) for path in files)
    assert size < 100 * 1000 ** 2, f"the wheel's zoo files are {size / 1e6:.1f} MB"
