"""TensorFlow Serving export, shared by every variant, built with `keras.export.ExportArchive`.

`export(model, "models")` writes `models/<name>/<version>/` (the layout TF Serving watches) with
the signatures the model lists in `serving_endpoints()`:
- GANs: `serving_default`, named float32 input `z` [None, latent_dim] (plus int32 `labels`
  [None] for conditional models) -> named uint8 output `images` [None, H, W, C], from the
  generator `sample` uses (EMA if any);
- image-to-image models: `serving_default`, uint8 `images` [None, H, W, C] -> uint8 `images`;
  CycleGAN also names both directions, `a2b` and `b2a`.

`export(model, "models", format="onnx")` / `format="litert"` write `models/<name>.onnx`
(tf2onnx, opset 17) / `models/<name>.tflite` (the TFLite converter), each holding the model's
`serving_default` signature with the same named inputs and outputs (in ONNX an output named
like an input, image-to-image models' `images`, is `images_out`); their runtimes
(onnxruntime, the LiteRT interpreter) check input shapes themselves, so the graph-side shape
and label checks of the SavedModel are left out there. Both need the `export` extra
(`pip install "ganzoo[export]"`).

`rest_predict` runs a TF Serving REST `:predict` request body (row "instances" or columnar
"inputs" format) through a loaded signature exactly as the server maps JSON to tensors, so
exports are tested against the real request contract without a server binary.
"""
import contextvars
import os
import shutil
import tempfile
from pathlib import Path

FORMATS = ("saved_model", "onnx", "litert")
SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
# While set, serving functions are traced for a portable runtime (ONNX, LiteRT): no
# string-formatting shape checks or asserts, which those formats cannot hold.
_PORTABLE = contextvars.ContextVar("portable_trace", default=False)

# TensorFlow is imported inside the functions: `ganzoo.export` is bound when `ganzoo` is
# imported, which must stay light (the CLI's list/info/--help never load TensorFlow).


def export(model, directory, version=1, name=None, overwrite=False, format="saved_model"):
    """Writes the SavedModel to directory/<name>/<version>/ (or, for format "onnx" or
    "litert", directory/<name>.onnx or .tflite) and returns that path; `name` defaults to
    the zoo entry's name (as `ganzoo export` writes it)."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}.")
    if format != "saved_model":
        name = name or model.entry_name or model.name
        target = Path(directory) / f"{name}{SUFFIXES[format]}"
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists; pass overwrite=True (--overwrite) to "
                                  f"replace it.")
        return write_portable(model, target, format)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer (TF Serving's layout), "
                         f"got {version!r}.")
    name = name or model.entry_name or model.name
    target = Path(directory) / name / str(version)
    for folder in (Path(directory), Path(directory) / name, target):
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(
                f"Cannot export into {directory}: {folder} is a file, not a directory. Give "
                f"--out a directory (TF Serving's model base path); it is created if missing.")
    if target.exists() and any(target.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"Export directory {target} exists and is not empty; choose another --version "
                f"or pass overwrite=True (--overwrite) to replace it."
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a failed export never leaves half a model where
    # TF Serving would pick it up, and an existing export survives a failed overwrite.
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        write_saved_model(model, staging / "model")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging / "model", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def write_saved_model(model, path):
    """The model's serving signatures (`serving_endpoints()`) as a SavedModel at `path`."""
    import keras

    archive = keras.export.ExportArchive()
    for network in model.export_networks:
        archive.track(network)
    for endpoint, (serve, signature) in model.serving_endpoints().items():
        archive.add_endpoint(endpoint, serve, input_signature=signature)
    archive.write_out(str(path), verbose=False)
    return Path(path)


def _portable_function(model):
    """(tf.function, input signature) of the model's serving_default, traced portably."""
    import tensorflow as tf

    serve, signature = model.serving_endpoints()["serving_default"]
    inputs = {spec.name for spec in signature}

    def portable(*args):
        # ONNX names every value once: an output named like an input (image-to-image
        # models' `images`) becomes `images_out`.
        return {f"{key}_out" if key in inputs else key: value
                for key, value in serve(*args).items()}

    # Traced (and so left without graph-side checks) where it is converted, under _PORTABLE.
    return tf.function(portable, input_signature=signature, autograph=False), signature


def write_portable(model, path, format):
    """serving_default as an ONNX or LiteRT file at `path` (written whole or not at all)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{os.getpid()}.tmp{path.suffix}")
    try:
        if format == "onnx":
            function, signature = _portable_function(model)
            try:
                import tf2onnx
            except ImportError:
                raise ImportError('ONNX export needs tf2onnx: pip install "ganzoo[export]"') \
                    from None
            token = _PORTABLE.set(True)
            try:
                tf2onnx.convert.from_function(function, input_signature=signature, opset=17,
                                              output_path=str(tmp))
            finally:
                _PORTABLE.reset(token)
        else:
            import tensorflow as tf

            # Through a SavedModel: the converter freezes its variables into constants (from a
            # concrete function it would keep them as resource variables the interpreter
            # does not initialise).
            with tempfile.TemporaryDirectory(dir=path.parent) as staging:
                token = _PORTABLE.set(True)
                try:
                    write_saved_model(model, Path(staging) / "model")
                finally:
                    _PORTABLE.reset(token)
                converter = tf.lite.TFLiteConverter.from_saved_model(
                    str(Path(staging) / "model"), signature_keys=["serving_default"])
                tmp.write_bytes(converter.convert())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def checked_input(tensor, shape, name):
    """`tensor` after a graph assertion that it is [batch, *shape]: a serving request with
    the wrong shape fails with a message naming the input and the shape it takes, instead of
    a size mismatch deep inside a matmul or convolution. (TF Serving feeds tensors to the
    signature without checking their shape against it.)"""
    import tensorflow as tf

    if _PORTABLE.get():
        return tensor
    wanted = ",".join(str(d) for d in shape)
    got = tf.strings.reduce_join(tf.strings.as_string(tf.shape(tensor)[1:]), separator=",")
    check = tf.debugging.assert_equal(
        got, wanted, summarize=8,
        message=f"input {name} must have shape [batch, {wanted}] (x: the shape sent, after "
                f"the batch axis)")
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def checked_labels(labels, batch, num_classes):
    """`labels` after graph assertions: one per image, each in [0, num_classes)."""
    import tensorflow as tf

    if _PORTABLE.get():
        return labels
    checks = [
        tf.debugging.assert_equal(tf.shape(labels), tf.reshape(batch, [1]), message=(
            "input labels must hold one label per z row; got shapes (labels, batch):")),
        tf.debugging.assert_less(labels, num_classes, message=(
            f"input labels must be class indices in [0, {num_classes - 1}]")),
        tf.debugging.assert_non_negative(labels, message=(
            f"input labels must be class indices in [0, {num_classes - 1}]")),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(labels)


def _stack(values, spec):
    import numpy as np
    import tensorflow as tf

    return tf.constant(np.asarray(values), dtype=spec.dtype)


def rest_predict(signature, body):
    """Answers a TF Serving REST predict body with `signature` (a loaded concrete function),
    following the REST API's rules: row format {"instances": [...]} -> {"predictions": [...]},
    columnar {"inputs": ...} -> {"outputs": ...}; a lone input or output is unnamed."""
    specs = signature.structured_input_signature[1]
    names = sorted(specs)
    if ("instances" in body) == ("inputs" in body):
        raise ValueError('A predict request needs exactly one of "instances" or "inputs".')
    if "instances" in body:
        rows = body["instances"]
        if rows and isinstance(rows[0], dict):
            columns = {n: [row[n] for row in rows] for n in names}
        elif len(names) == 1:
            columns = {names[0]: rows}
        else:
            raise ValueError(f"This signature has inputs {names}: send instances as objects.")
    else:
        inputs = body["inputs"]
        columns = inputs if isinstance(inputs, dict) else {names[0]: inputs}
    missing = set(names) - set(columns)
    if missing:
        raise ValueError(f"Request lacks input(s) {sorted(missing)}; the signature takes {names}.")
    outputs = signature(**{n: _stack(columns[n], specs[n]) for n in names})
    outputs = {k: v.numpy().tolist() for k, v in outputs.items()}
    if "instances" in body:
        if len(outputs) == 1:
            return {"predictions": next(iter(outputs.values()))}
        count = len(next(iter(outputs.values())))
        return {"predictions": [{k: v[i] for k, v in outputs.items()} for i in range(count)]}
    return {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}
