"""Net2WiderNet (Chen, Goodfellow & Shlens 2016, "Net2Net", Section 2.1): copy a trained
network into a wider one of the same depth, so a run can grow its capacity instead of
starting again from random weights.

Every widened layer's extra units are copies of randomly chosen existing ones (the paper's
random mapping g), and the next layer divides each copied input by the number of copies, so
a plain network computes the same function (Eq. 1 and 2); batch-norm statistics and scales
are copied with their channels. Small noise on the copies breaks their symmetry, else they
would keep receiving identical gradients (the paper adds noise for the same reason).

Spectrally normalised layers divide by their kernel's largest singular value, which the
copying changes, so such a discriminator computes a rescaled, not identical, function; its
power-iteration vectors are re-estimated for the new kernels.

Supported: chains of Dense, Conv2D and Conv2DTranspose layers (spectrally normalised or
not) with batch norm, activations, Reshape and Flatten between them: the unconditional DCGAN
and MLP stacks. Other graphs are refused with a message."""
import keras
import numpy as np

_PASS_THROUGH = (keras.layers.InputLayer, keras.layers.ReLU, keras.layers.LeakyReLU,
                 keras.layers.Activation, keras.layers.Dropout)


def _inner(layer):
    """The weighted layer itself (unwrapping spectral normalisation)."""
    return layer.layer if isinstance(layer, keras.layers.SpectralNormalization) else layer


def _is_chain(model):
    return len(model.inputs) == 1 and not any(
        isinstance(layer.input, (list, tuple)) for layer in model.layers[1:])


def _units(layer):
    inner = _inner(layer)
    return inner.units if isinstance(inner, keras.layers.Dense) else inner.filters


def widen_into(source, target, seed=0, noise=1e-2):
    """Copies the weights of `source` into `target`, a network built with the same layers
    but more units or filters per layer (e.g. base_filters 48 -> 64), by Net2WiderNet.
    `noise`: std of the symmetry-breaking noise relative to each kernel's std.
    Raises ValueError (naming the layers) when the two networks do not correspond."""
    if not (_is_chain(source) and _is_chain(target)):
        raise ValueError(f"widen_into supports single-input chains of layers (unconditional "
                         f"DCGAN and MLP stacks); {source.name} or {target.name} has branches "
                         f"or several inputs.")
    if len(source.layers) != len(target.layers) or any(
            type(a) is not type(b) for a, b in zip(source.layers, target.layers)):
        raise ValueError(f"{source.name} and {target.name} are not the same stack at two "
                         f"widths: their layers differ ({[type(x).__name__ for x in source.layers]}"
                         f" vs {[type(x).__name__ for x in target.layers]}).")
    rng = np.random.default_rng(seed)
    mapping = None  # target unit -> source unit of the current activation's last axis
    layers = list(zip(source.layers, target.layers))
    for index, (old, new) in enumerate(layers):
        if isinstance(old, _PASS_THROUGH):
            continue
        if isinstance(_inner(old), (keras.layers.Dense, keras.layers.Conv2D,
                                    keras.layers.Conv2DTranspose)):
            following = layers[index + 1] if index + 1 < len(layers) else (None, None)
            mapping = _widen_weighted(old, new, mapping, following, rng, noise)
        elif isinstance(old, keras.layers.BatchNormalization):
            for old_weight, new_weight in zip(old.weights, new.weights):
                new_weight.assign(np.asarray(old_weight)[mapping])
        elif isinstance(old, keras.layers.Reshape):
            pass  # the Dense before it already mapped per channel (see _widen_weighted)
        elif isinstance(old, keras.layers.Flatten):
            height, width, channels = old.input.shape[1:]
            positions = np.arange(height * width)[:, None]
            mapping = (positions * channels + mapping[None, :]).reshape(-1)
        else:
            raise ValueError(f"widen_into cannot widen through a {type(old).__name__} layer "
                             f"({old.name}).")
    return target


def _output_mapping(old_units, new_units, rng):
    if new_units < old_units:
        raise ValueError(f"widen_into only widens: a layer has {old_units} units in the "
                         f"source and {new_units} in the target.")
    extra = rng.integers(0, old_units, new_units - old_units)
    return np.concatenate([np.arange(old_units), extra])


def _widen_weighted(old, new, in_map, following, rng, noise):
    """Widens one Dense/convolution; returns the mapping of its output units."""
    old_inner, new_inner = _inner(old), _inner(new)
    kernel = np.asarray(old_inner.kernel)
    transposed = isinstance(old_inner, keras.layers.Conv2DTranspose)
    in_axis, out_axis = (-1, -2) if transposed else (-2, -1)
    if in_map is None:  # the network's input: never widened
        in_map = np.arange(kernel.shape[in_axis])
    old_units, new_units = _units(old), _units(new)
    old_following, new_following = following
    if isinstance(new_following, keras.layers.Reshape):
        # Dense -> (H, W, C): map the channels, the same way at every position.
        old_channels = old_following.target_shape[-1]
        new_channels = new_following.target_shape[-1]
        positions = new_units // new_channels
        channel_map = _output_mapping(old_channels, new_channels, rng)
        out_map = (np.arange(positions)[:, None] * old_channels + channel_map[None, :]).reshape(-1)
        next_map = channel_map
    else:
        out_map = next_map = _output_mapping(old_units, new_units, rng)
    counts = np.bincount(in_map, minlength=kernel.shape[in_axis]).astype(kernel.dtype)
    widened = np.take(np.take(kernel, in_map, axis=in_axis), out_map, axis=out_axis)
    shape = [1] * widened.ndim
    shape[in_axis] = -1
    widened = widened / counts[in_map].reshape(shape)
    copies = np.zeros(widened.shape[out_axis], bool)
    copies[kernel.shape[out_axis]:] = True  # the new output units ...
    duplicated_inputs = np.bincount(in_map)[in_map] > 1  # ... and inputs fed by copies
    mask_shape = [1] * widened.ndim
    mask_shape[out_axis] = -1
    mask = copies.reshape(mask_shape)
    in_shape = [1] * widened.ndim
    in_shape[in_axis] = -1
    mask = mask | duplicated_inputs.reshape(in_shape)
    widened = widened + mask * rng.normal(0.0, noise * kernel.std(), widened.shape)
    new_inner.kernel.assign(widened.astype(kernel.dtype))
    if new_inner.use_bias:
        new_inner.bias.assign(np.asarray(old_inner.bias)[out_map])
    if isinstance(new, keras.layers.SpectralNormalization):
        for _ in range(50):  # converge u for the new kernel (one step per training call)
            new.normalized_kernel(update=True)
    return next_map
