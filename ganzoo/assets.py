"""Where shipped files come from: weights, evaluator classifiers and FID reference statistics,
each named by its path under `pretrained/` and checked against the SHA-256 its JSON records.
No TensorFlow here.

`resolve(relative, sha256)` looks, in order, in
1. an explicit path, when the caller has one;
2. local `pretrained/` trees: $GANZOO_HOME, the copy inside the installed package, the current
   directory and the source checkout (so a fresh clone works offline);
3. the user cache, $GANZOO_CACHE or ~/.cache/ganzoo, under `pretrained/`;
4. a remote copy: the file's own `url` if its JSON gives one, else $GANZOO_REMOTE (a base:
   `https://host/path`, `file:///dir`, `hf://owner/repo`, `kaggle://owner/model/...`) joined
   with the relative path. https and file URLs are fetched with the standard library; hf://
   and kaggle:// through their official clients (huggingface_hub, kagglehub), if installed.

A download goes to a temporary file in the cache and becomes the cached file only after its
size and SHA-256 check out, so an interrupted or corrupted download is never used. Every
failure names the file, where it looked or what it fetched, and what to do.
"""
import http.client
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ganzoo.files import sha256_of

_PACKAGE_DIR = Path(__file__).resolve().parent
REMOTE_ENV = "GANZOO_REMOTE"
TIMEOUT_S = 60


class AssetError(RuntimeError):
    """A shipped file could not be found, fetched or verified."""


def cache_dir():
    """ganzoo's cache: $GANZOO_CACHE, else $XDG_CACHE_HOME/ganzoo or ~/.cache/ganzoo."""
    base = os.environ.get("GANZOO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "ganzoo")
    return Path(base)


def cache_root():
    """Where downloaded shipped files are kept: the cache's pretrained/ tree."""
    return cache_dir() / "pretrained"


def local_roots():
    """The local `pretrained/` trees, in the order they are searched."""
    candidates = [os.environ.get("GANZOO_HOME"), _PACKAGE_DIR / "_zoo_data", Path.cwd(),
                  _PACKAGE_DIR.parent]
    roots = []
    for candidate in candidates:
        if candidate and (Path(candidate) / "pretrained").is_dir():
            root = (Path(candidate) / "pretrained").resolve()
            if root not in roots:
                roots.append(root)
    return roots


def _matches(path, sha256):
    return path.is_file() and sha256_of(path) == sha256


def resolve(relative, sha256, *, what="file", explicit=None, url=None, error=AssetError):
    """The verified local path of the shipped file `relative` (a path under pretrained/);
    failures raise `error` (any exception class taking a message) with the message."""
    try:
        return _resolve(relative, sha256, what, explicit, url)
    except AssetError as failure:
        if isinstance(failure, error):
            raise
        raise error(str(failure)) from None


def _resolve(relative, sha256, what, explicit, url):
    if explicit is not None:
        explicit = Path(explicit)
        if not explicit.is_file():
            raise AssetError(f"{what} {explicit} is missing.")
        actual = sha256_of(explicit)
        if actual != sha256:
            raise AssetError(f"{what} {explicit} does not match its recorded SHA-256 and was "
                             f"not loaded: expected {sha256}, found {actual}.")
        return explicit
    mismatched = []
    for root in local_roots():
        path = root / relative
        if path.is_file():
            actual = sha256_of(path)
            if actual == sha256:
                return path
            mismatched.append(f"{path} (found {actual})")
    cached = cache_root() / relative
    if cached.is_file():
        if _matches(cached, sha256):
            return cached
        cached.unlink()  # a cached file is ours to replace
    source = url or _remote_for(relative)
    if source is None:
        if mismatched:
            raise AssetError(
                f"{what} {'; '.join(mismatched)} does not match its recorded SHA-256 and was "
                f"not loaded: expected {sha256}. The file is damaged or from another version: "
                f"restore it (reinstall ganzoo, or git checkout the file), or set "
                f"{REMOTE_ENV} to download a good copy into the cache.")
        raise AssetError(
            f"{what} {relative} is missing: it is in no local pretrained/ folder "
            f"({', '.join(map(str, local_roots())) or 'none found'}) nor the cache "
            f"({cache_root()}). Run from a ganzoo checkout, set GANZOO_HOME to one, or set "
            f"{REMOTE_ENV} to a copy of pretrained/ (https://..., hf://..., file://...) to "
            f"download it once into the cache.")
    return download(source, cached, sha256, what=what)


def _remote_for(relative):
    base = os.environ.get(REMOTE_ENV)
    if not base:
        return None
    return base.rstrip("/") + "/" + urllib.parse.quote(str(relative).replace(os.sep, "/"))


def download(source, target, sha256, *, what="file"):
    """Fetches `source` to `target` through a temporary file: kept only when complete and
    matching `sha256`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    scheme = urllib.parse.urlparse(source).scheme
    try:
        if scheme in ("hf", "kaggle"):
            _fetch_with_client(scheme, source, tmp)
        elif scheme in ("http", "https", "file"):
            _fetch_url(source, tmp)
        else:
            raise AssetError(f"Cannot fetch {what} from {source}: the scheme {scheme!r} is not "
                             f"one of https, http, file, hf, kaggle.")
        actual = sha256_of(tmp)
        if actual != sha256:
            raise AssetError(
                f"{what} downloaded from {source} does not match its recorded SHA-256 "
                f"(expected {sha256}, got {actual}): not used, not cached. The remote copy is "
                f"damaged or of another ganzoo version; point {REMOTE_ENV} at a copy that "
                f"matches this version.")
        os.replace(tmp, target)
    except (OSError, http.client.HTTPException) as error:
        raise AssetError(
            f"Could not download {what} from {source}: {getattr(error, 'reason', error)}. "
            f"Nothing was cached. Check the network (or that {REMOTE_ENV} is right) and try "
            f"again, or copy the file to {target} yourself.") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _fetch_url(source, tmp):
    with urllib.request.urlopen(source, timeout=TIMEOUT_S) as response, open(tmp, "wb") as out:
        expected = response.headers.get("Content-Length")
        shutil.copyfileobj(response, out, 1 << 20)
    if expected is not None and tmp.stat().st_size != int(expected):
        raise AssetError(f"the download from {source} stopped after {tmp.stat().st_size:,} of "
                         f"{int(expected):,} bytes (interrupted): not used, not cached. Try "
                         f"again.")


def _fetch_with_client(scheme, source, tmp):
    """hf://owner/repo/path/in/repo and kaggle://owner/model/framework/variation/path through
    the hubs' own client libraries (their caches and credentials)."""
    parsed = urllib.parse.urlparse(source)
    parts = [parsed.netloc, *[p for p in parsed.path.split("/") if p]]
    if scheme == "hf":
        try:
            from huggingface_hub import hf_hub_download
        except ImportError:
            raise AssetError(f"{source} needs huggingface_hub: pip install huggingface_hub") \
                from None
        fetched = hf_hub_download(repo_id="/".join(parts[:2]), filename="/".join(parts[2:]))
    else:
        try:
            import kagglehub
        except ImportError:
            raise AssetError(f"{source} needs kagglehub: pip install kagglehub") from None
        fetched = Path(kagglehub.model_download("/".join(parts[:4]))) / "/".join(parts[4:])
    shutil.copyfile(fetched, tmp)
