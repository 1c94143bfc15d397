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


def class_indices(values, num_classes, class_names=None, where="labels"):
    """int32 class indices (a NumPy array) from `values`: integer class indices in
    [0, num_classes) and names from `class_names`, mixed freely; integral floats (3.0, as
    label arrays are often saved) count as integers. Anything else (out of range, negative,
    3.7, an unknown name, a bool) is refused naming the value and its position."""
    import numpy as np

    names = [str(name) for name in class_names or []]
    array = np.asarray(values) if not isinstance(values, (list, tuple)) else None
    if array is not None and array.dtype.kind in "iuf" and array.ndim == 1:
        bad = ~np.isfinite(array) | (array < 0) | (array >= num_classes) | \
            (array != np.round(array)) if array.dtype.kind == "f" else \
            (array < 0) | (array >= num_classes)
        if not bad.any():
            return array.astype(np.int32)
        values = array.tolist()  # the loop below names the first offender
    elif array is not None:
        values = array.reshape(-1).tolist() if array.ndim <= 1 else None
        if values is None:
            raise ValueError(f"{where} must be one label per image (a 1-D list or array), "
                             f"got shape {array.shape}.")
    indices = np.empty(len(values), np.int32)
    for position, value in enumerate(values):
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        if isinstance(value, str) and value in names:
            indices[position] = names.index(value)
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) \
                and 0 <= value < num_classes:
            indices[position] = int(value)
            continue
        accepted = f"integer class indices 0..{num_classes - 1}"
        if names:
            accepted += f" or class names ({', '.join(names)})"
        raise ValueError(f"{where}[{position}] is {value!r}, which is not a class: {where} "
                         f"take {accepted}.")
    return indices
