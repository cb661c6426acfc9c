"""tf.data pipelines: batched, shuffled, prefetched and scaled to [-1, 1]."""

import numpy as np


def to_float(images):
    """uint8 images `(N, H, W[, C])` -> float32 `(N, H, W, C)` in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return images.astype(np.float32)


def to_uint8(images):
    """float images in [-1, 1] -> uint8 in [0, 255]."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_dataset(images, labels=None, batch_size=128, shuffle=True, seed=0,
                 drop_remainder=True, repeat=False):
    """Builds a scaled, batched, shuffled, prefetched `tf.data.Dataset`.

    Args:
        images: uint8 array `(N, H, W)` or `(N, H, W, C)` (scaled to [-1, 1]) or
            float array already in [-1, 1].
        labels: optional labels; when given, elements are `(images, labels)`.
        batch_size: global batch size.
        shuffle: shuffle every epoch (reshuffled with a fixed `seed`).
        seed: shuffle seed, for reproducible runs.
        drop_remainder: keep every batch the same size (GAN steps expect it).
        repeat: repeat forever (for step-based training).

    Example:
    >>> x, y = advzoo.data.load("fashion_mnist")
    >>> ds = advzoo.data.make_dataset(x, batch_size=64)
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    x = to_float(images)
    if len(x) == 0:
        raise ValueError("make_dataset: got no images (an empty array); pass at least one batch.")
    if not np.all(np.isfinite(x)):
        raise ValueError("make_dataset: the images contain NaN or inf values.")
    if labels is not None and len(np.asarray(labels)) != len(x):
        raise ValueError(f"make_dataset: {len(x)} images but {len(np.asarray(labels))} labels.")
    elements = x if labels is None else (x, np.asarray(labels))
    ds = tf.data.Dataset.from_tensor_slices(elements)
    if shuffle:
        ds = ds.shuffle(min(len(x), 60000), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
