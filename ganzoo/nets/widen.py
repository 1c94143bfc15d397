"""Function-preserving widening (the idea of Net2Net, Chen, Goodfellow & Shlens 2016): copy
a trained network into a wider one of the same depth, so a run can grow its capacity instead
of starting again from random weights.

Every layer keeps its trained weights for the old units. A new unit starts with small random
incoming weights (different for each, so they do not learn in lockstep) and zero outgoing
weights, so the wider network computes exactly the old function; the outgoing weights get
gradients from the first step (the new units' activations are not zero), and the incoming
ones follow. New batch-norm channels start fresh (scale 1, offset 0).

Why not Net2WiderNet's copies of existing units with their outgoing weights divided among the
copies (Section 2.1): that preserves a plain network's function, but a spectrally normalised
layer divides by its kernel's largest singular value, which copying changes layer by layer;
measured on sngan-anime's 48 -> 64 filter discriminator, the copied network's logits had
correlation 0.06 with the original's. Zero rows leave the singular values as they were, and
small new columns change them by O(noise^2), so the spectrally normalised discriminator keeps
its function too (its power-iteration vectors are re-estimated for the new kernels).

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
    but more units or filters per layer (e.g. base_filters 48 -> 64), keeping its function.
    `noise`: std of the new units' incoming weights, relative to each kernel's std.
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
            kept = np.flatnonzero(mapping >= 0)
            for old_weight, new_weight in zip(old.weights, new.weights):
                values = np.asarray(new_weight).copy()  # new channels: fresh scale, offset, stats
                values[kept] = np.asarray(old_weight)[mapping[kept]]
                new_weight.assign(values)
        elif isinstance(old, keras.layers.Reshape):
            pass  # the Dense before it already mapped per channel (see _widen_weighted)
        elif isinstance(old, keras.layers.Flatten):
            height, width, channels = old.input.shape[1:]
            mapping = _positions(mapping, channels, height * width)
        else:
            raise ValueError(f"widen_into cannot widen through a {type(old).__name__} layer "
                             f"({old.name}).")
    return target


def _output_mapping(old_units, new_units):
    """Target unit -> source unit, -1 for the new ones."""
    if new_units < old_units:
        raise ValueError(f"widen_into only widens: a layer has {old_units} units in the "
                         f"source and {new_units} in the target.")
    return np.concatenate([np.arange(old_units), np.full(new_units - old_units, -1)])


def _positions(channel_map, old_channels, positions):
    """The map of a flattened (positions x channels) vector from its channels' map."""
    offsets = np.arange(positions)[:, None] * old_channels
    return np.where(channel_map[None, :] >= 0, offsets + channel_map[None, :], -1).reshape(-1)


def _widen_weighted(old, new, in_map, following, rng, noise):
    """Widens one Dense/convolution; returns the map of its output units."""
    old_inner, new_inner = _inner(old), _inner(new)
    # Work in (..., in, out) order; a transposed convolution stores (..., out, in).
    transposed = isinstance(old_inner, keras.layers.Conv2DTranspose)
    kernel = np.asarray(old_inner.kernel)
    kernel = np.swapaxes(kernel, -1, -2) if transposed else kernel
    if in_map is None:  # the network's input: never widened
        in_map = np.arange(kernel.shape[-2])
    old_units, new_units = _units(old), _units(new)
    old_following, new_following = following
    if isinstance(new_following, keras.layers.Reshape):
        # Dense -> (H, W, C): widen the channels, the same way at every position.
        old_channels = old_following.target_shape[-1]
        next_map = _output_mapping(old_channels, new_following.target_shape[-1])
        out_map = _positions(next_map, old_channels, new_units // len(next_map))
    else:
        out_map = next_map = _output_mapping(old_units, new_units)
    # New outputs: small random incoming weights; new inputs: zero outgoing weights.
    shape = kernel.shape[:-2] + (len(in_map), len(out_map))
    widened = rng.normal(0.0, noise * kernel.std(), shape).astype(kernel.dtype)
    old_in, old_out = np.flatnonzero(in_map >= 0), np.flatnonzero(out_map >= 0)
    widened[..., in_map < 0, :] = 0.0
    widened[..., old_in[:, None], old_out[None, :]] = \
        kernel[..., in_map[old_in][:, None], out_map[old_out][None, :]]
    new_inner.kernel.assign(np.swapaxes(widened, -1, -2) if transposed else widened)
    if new_inner.use_bias:
        bias = np.zeros(len(out_map), kernel.dtype)
        bias[old_out] = np.asarray(old_inner.bias)[out_map[old_out]]
        new_inner.bias.assign(bias)
    if isinstance(new, keras.layers.SpectralNormalization):
        for _ in range(50):  # converge u for the new kernel (one step per training call)
            new.normalized_kernel(update=True)
    return next_map
