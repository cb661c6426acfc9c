"""Datasets for advzoo: Fashion-MNIST offline, any TFDS name, tf.data helpers.

Example:
>>> images, labels = advzoo.data.load("fashion_mnist", split="test")
>>> images.shape, images.dtype
((10000, 28, 28), dtype('uint8'))
"""

import numpy as np

from advzoo.data.fashion_mnist import CLASS_NAMES, DataIntegrityError, load_fashion_mnist
from advzoo.data.pipelines import make_dataset, to_float, to_uint8

_LOADERS = {"fashion_mnist": load_fashion_mnist}


def available():
    """Names of the datasets advzoo builds itself (any TFDS name works too)."""
    return sorted(_LOADERS)


def load(name, split="train"):
    """Loads a dataset as numpy arrays `(images uint8, int labels)`.

    Args:
        name: `"fashion_mnist"` (works offline) or any TFDS dataset name with an
            image and a label feature, when TFDS can reach it.
        split: `"train"` or `"test"` (any TFDS split string for TFDS names).
    """
    if name in _LOADERS:
        return _LOADERS[name](split)
    return _load_tfds(name, split)


def _load_tfds(name, split):
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:  # pragma: no cover - tfds is a dependency
        raise ValueError(f"Unknown dataset {name!r} and tensorflow-datasets is missing.") from e
    if name not in tfds.list_builders():
        raise ValueError(
            f"Unknown dataset {name!r}. advzoo builds {available()}; other names must "
            "be TFDS datasets (see `tfds.list_builders()`)."
        )
    try:
        ds = tfds.load(name, split=split, as_supervised=True, batch_size=-1)
    except Exception as e:  # noqa: BLE001
        raise FileNotFoundError(
            f"TFDS could not prepare {name!r} split {split!r}: {e}"
        ) from e
    images, labels = tfds.as_numpy(ds)
    return np.asarray(images), np.asarray(labels).astype(np.int64)


__all__ = ["CLASS_NAMES", "DataIntegrityError", "available", "load", "make_dataset",
           "to_float", "to_uint8"]
