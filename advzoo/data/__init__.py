"""Datasets for advzoo: Fashion-MNIST offline, any TFDS name, tf.data helpers.

Example:
>>> images, labels = advzoo.data.load("fashion_mnist", split="test")
>>> images.shape, images.dtype
((10000, 28, 28), dtype('uint8'))
"""

import numpy as np

from advzoo.data.domains import DOMAIN_SPLITS, load_domain, to_rgb
from advzoo.data.fashion_mnist import CLASS_NAMES, DataIntegrityError, load_fashion_mnist
from advzoo.data.pipelines import make_dataset, to_float, to_uint8

_LOADERS = {"fashion_mnist": load_fashion_mnist}
_DOMAINS = ("fashion_mnist_m", "colored_fashion_mnist")


def available():
    """Names of the datasets advzoo builds itself (any TFDS name works too)."""
    return sorted(_LOADERS) + sorted(_DOMAINS)


def load(name, split="train", return_nuisance=False):
    """Loads a dataset as numpy arrays `(images uint8, int labels)`.

    Args:
        name: `"fashion_mnist"` (works offline), a domain synthesised from it
            (`"fashion_mnist_m"`, `"colored_fashion_mnist"`, see
            `advzoo.data.domains`), or any TFDS dataset name with an image and
            a label feature, when TFDS can reach it.
        split: `"train"` or `"test"` (any TFDS split string for TFDS names;
            the synthesised domains also have `"validation"`, and
            `colored_fashion_mnist` a `"probe"` split).
        return_nuisance: synthesised domains only: also return the nuisance
            attribute (domain id or colour index) of every image.

    Example:
    >>> x, y = advzoo.data.load("fashion_mnist_m", split="test")
    >>> x.shape, x.dtype
    ((10000, 28, 28, 3), dtype('uint8'))
    """
    if name in _DOMAINS:
        return load_domain(name, split, return_nuisance=return_nuisance)
    if return_nuisance:
        raise ValueError(f"return_nuisance is only defined for {list(_DOMAINS)}, not {name!r}.")
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


__all__ = ["CLASS_NAMES", "DOMAIN_SPLITS", "DataIntegrityError", "available", "load",
           "make_dataset", "to_float", "to_rgb", "to_uint8"]
