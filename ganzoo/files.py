"""File writing and hashing shared by training runs, publishing and the shipped assets."""
import hashlib
import os


def atomic_write_text(path, text):
    """Writes `text` to a temporary name, fsyncs and renames it onto `path`: a reader (or a
    crash) sees the old file or the new one, never half of one."""
    tmp = f"{path}.{os.getpid()}.tmp"  # one per writer: two never rename each other's file
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
