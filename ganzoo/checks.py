"""Argument checks shared by the models, networks, data pipelines and the CLI (no TensorFlow:
the command line uses them before it imports anything heavy)."""
import numbers


def check_count(value, what):
    """A positive Python/NumPy integer (bools and floats are refused), else a clear ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def check_seed(seed):
    """None (fresh entropy) or a non-negative integer seed."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}.")
    return int(seed)


def format_bytes(count):
    """1536 -> '1.5 KiB': sizes in error messages."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
