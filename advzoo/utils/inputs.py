"""Validation of what users hand to a model's public methods (`generate`,
`encode`, `embed`, `features`, `predict`, ...), with one wording for every
family, before anything touches the model: a wrong call raises a clear error
and leaves the model as it was."""

import numbers

import numpy as np

TOLERANCE = 1e-3  # float images a rounding step outside their range are accepted


def positive_count(n, what="n"):
    """`n` as an int, or a ValueError: it must be a positive integer (not a
    bool, float or string)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r} "
                         f"({type(n).__name__}).")
    return int(n)


def _shape(shape):
    return "(batch, " + ", ".join(str(s) for s in shape) + ")"


def check_images(images, image_shape, where, value_range=(-1.0, 1.0), tolerance=TOLERANCE):
    """Returns `images` as float32 numpy, or raises naming what is wrong and
    what would be right: the shape (with the channel-axis and `to_rgb`
    hints), the dtype (uint8 needs scaling), NaN/inf, the value range, an
    empty batch.

    Args:
        images: array-like `(batch, *image_shape)`.
        image_shape: `(height, width, channels)` the model takes.
        where: the method's name, for the message.
        value_range: `(low, high)` of the expected float images.
        tolerance: how far outside the range values may lie (models that
            standardise their inputs accept shifted images, but not 0-255).
    """
    low, high = value_range
    scale = "advzoo.data.to_float(images)" if low < 0 else "images / 255.0"
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: expected an array of images {_shape(image_shape)}, got "
                        f"{type(images).__name__} ({e}).") from None
    expected = tuple(int(s) for s in image_shape)
    if array.dtype.kind not in "fiub" or array.dtype.kind == "b":
        raise TypeError(f"{where}: expected numeric images {_shape(expected)}, got dtype "
                        f"{array.dtype}.")
    if array.ndim == 3 and tuple(array.shape[1:]) == expected[:2] and expected[2] == 1:
        raise ValueError(f"{where}: expected images of shape {_shape(expected)}, got "
                         f"{array.shape}: add the channel axis with `images[..., None]`.")
    if array.ndim != 4 or tuple(array.shape[1:]) != expected:
        hint = ""
        if array.ndim == 4 and array.shape[1:3] == expected[:2]:
            hint = (" Convert greyscale images with `advzoo.data.to_rgb(images)`."
                    if array.shape[3] == 1 and expected[2] == 3 else
                    " This model takes one channel." if expected[2] == 1 else "")
        raise ValueError(f"{where}: expected images of shape {_shape(expected)}, got "
                         f"{array.shape}.{hint}")
    if len(array) == 0:
        raise ValueError(f"{where}: got an empty batch (0 images).")
    if array.dtype == np.uint8 or array.dtype.kind in "iu":
        raise TypeError(f"{where}: expected float images in [{low:g}, {high:g}], got "
                        f"{array.dtype}; convert with `{scale}`.")
    array = array.astype("float32", copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: the images contain NaN or inf values.")
    lo, hi = float(array.min()), float(array.max())
    if lo < low - tolerance or hi > high + tolerance:
        raise ValueError(f"{where}: expected float images in [{low:g}, {high:g}], got values "
                         f"in [{lo:g}, {hi:g}]" + (f"; 0-255 images? convert with `{scale}`."
                                                   if hi > 2 else "."))
    return array


def check_fit_arrays(model, x, where):
    """Before `fit` touches the model: refuses empty arrays, NaN or inf in
    float arrays, and image arrays of the model's shape outside its range
    (e.g. 0-255 floats). Datasets and generators pass through."""
    arrays = x if isinstance(x, (tuple, list)) else [x]
    shape = tuple(getattr(model, "image_shape", ()) or ())
    for array in arrays:
        if not isinstance(array, np.ndarray):
            continue
        if len(array) == 0:
            raise ValueError(f"{where}: got an empty array (0 examples); nothing to train on.")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            first = int(np.argmax(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)))
            raise ValueError(f"{where}: the data contain NaN or inf values (first in example "
                             f"{first}); nothing was trained, the weights are unchanged.")
        if shape and array.ndim == len(shape) + 1 and tuple(array.shape[1:]) == shape:
            check_images(array, shape, where, getattr(model, "input_range", (-1.0, 1.0)),
                         getattr(model, "input_tolerance", TOLERANCE))


def model_images(model, x, where):
    """`check_images` against `model.image_shape` and `model.input_range`
    (default [-1, 1]) for array inputs; a `tf.data.Dataset`, a generator or a
    dict passes through unchanged (Keras reads those itself)."""
    import tensorflow as tf

    if isinstance(x, (tf.data.Dataset, dict)) or hasattr(x, "__next__"):
        return x
    return check_images(x, model.image_shape, where, getattr(model, "input_range", (-1.0, 1.0)),
                        getattr(model, "input_tolerance", TOLERANCE))
