"""Importing TensorFlow without its C++ start-up log (no TensorFlow at import: `ganzoo` and
the CLI call this only when a model is needed)."""
import logging
import os
import sys


def import_tensorflow_quietly():
    """Imports TensorFlow with its start-up log (oneDNN, CPU features: written by C++ to
    file descriptor 2 before TF_CPP_MIN_LOG_LEVEL applies) held back; shown if the import
    fails. Later TensorFlow warnings are filtered by TF_CPP_MIN_LOG_LEVEL=2."""
    if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):  # unset or empty: the user chose nothing
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if "tensorflow" in sys.modules:
        return
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
