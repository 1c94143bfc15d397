"""Reads the tensors of a TorchScript/`torch.save` zip archive with zipfile + pickle + NumPy,
without importing torch (ganzoo must not depend on it).

The archive's `data.pkl` is a pickle whose tensors are `torch._utils._rebuild_tensor_v2` calls
on "persistent" storages; each storage's raw little-endian bytes are the member `data/<key>`.
"""
import collections
import pickle
import zipfile

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name):
        self.dtype = _STORAGE_DTYPES[name]


def _rebuild_tensor(storage, offset, size, stride, *_):
    if not size:
        return storage[offset].copy()
    itemsize = storage.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
    ).copy()


class _Object:
    """Stands in for any scripted module class: keeps the pickled state as attributes."""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state):
        self.state = state


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_parameter"):
            return _rebuild_tensor if name == "_rebuild_tensor_v2" else (lambda t, *_: t)
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        return type(name, (_Object,), {})

    def persistent_load(self, pid):
        _, storage_type, key, _location, _numel = pid
        dtype = storage_type.dtype if isinstance(storage_type, _StorageType) else \
            _STORAGE_DTYPES[storage_type]
        return np.frombuffer(self.archive.read(f"{self.prefix}/data/{key}"), dtype=dtype)


def read_module_tensors(path):
    """{dotted.name: ndarray} for every tensor attribute of a TorchScript module archive."""
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if not pickles:
            raise ValueError(f"{path} is not a TorchScript archive (no data.pkl inside).")
        prefix = pickles[0].rsplit("/", 1)[0]
        with archive.open(pickles[0]) as f:
            root = _Unpickler(f, archive, prefix).load()
    tensors = {}

    def walk(obj, name):
        state = obj.state if isinstance(obj, _Object) else obj
        if isinstance(state, dict):
            for key, value in state.items():
                walk(value, f"{name}.{key}" if name else key)
        elif isinstance(state, np.ndarray):
            tensors[name] = state

    walk(root, "")
    return tensors
