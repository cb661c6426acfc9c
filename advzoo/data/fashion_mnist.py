"""Fashion-MNIST from offline sources first, verified by checksum.

Sources, tried in order:

1. `ADVZOO_DATA_DIR` (a directory holding the four original IDX `.gz` files),
2. Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`),
3. Keras's cache / download (`keras.datasets.fashion_mnist.load_data`).

Integrity is checked on the *decompressed* bytes, so a recompressed copy of the
original files is accepted while a truncated or altered one is not.
"""

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# sha256 of the decompressed IDX files.
SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
SIZES = {"train": 60000, "test": 10000}


class DataIntegrityError(ValueError):
    """A data file exists but its content is not what it should be."""


def _read_idx(path, verify=True):
    try:
        with open(path, "rb") as f:
            packed = f.read()
    except OSError as e:  # unreadable (permissions, a directory, an I/O error): not corrupt
        raise DataIntegrityError(
            f"Cannot read {path}: {e}. Make the file readable, or fix ADVZOO_DATA_DIR."
        ) from e
    try:
        raw = gzip.decompress(packed)
    except (OSError, EOFError, zlib.error) as e:  # bad header, truncated, bad deflate data
        raise DataIntegrityError(
            f"{path} is corrupt or truncated ({type(e).__name__}: {e}). Replace it with the "
            "original file (e.g. `apt-get install dataset-fashion-mnist`) or fix "
            "ADVZOO_DATA_DIR."
        ) from e
    if verify:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != SHA256[Path(path).name]:
            raise DataIntegrityError(
                f"{path} has sha256 {digest[:12]}… but the original Fashion-MNIST file "
                f"has {SHA256[Path(path).name][:12]}…. Replace it with the original "
                "file (e.g. `apt-get install dataset-fashion-mnist`)."
            )
    magic = int.from_bytes(raw[2:4], "big")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _from_dir(directory, split):
    images_name, labels_name = FILES[split]
    images_path, labels_path = Path(directory) / images_name, Path(directory) / labels_name
    if not (images_path.exists() and labels_path.exists()):
        return None
    return _read_idx(images_path), _read_idx(labels_path).astype(np.int64)


def _candidate_dirs():
    user = os.environ.get("ADVZOO_DATA_DIR")
    if user:
        path = Path(user)
        if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
            raise FileNotFoundError(
                f"ADVZOO_DATA_DIR={user!r} is not a readable directory. Point it at a "
                "directory holding the Fashion-MNIST .gz files, or unset it to use "
                "the system copy or Keras's download."
            )
        yield "ADVZOO_DATA_DIR", path
    yield "debian", DEBIAN_DIR


def load_fashion_mnist(split="train"):
    """Returns `(images uint8 (N, 28, 28), labels int64 (N,))` for a split.

    Args:
        split: `"train"` (60,000 images) or `"test"` (10,000 images).
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    for _, directory in _candidate_dirs():
        loaded = _from_dir(directory, split)
        if loaded is not None:
            return loaded
    import keras  # Last resort: Keras's cache, downloading when online.

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as e:  # noqa: BLE001 - any network error ends up here.
        raise FileNotFoundError(
            "Fashion-MNIST was not found offline and Keras could not download it "
            f"({e}). Install it with `apt-get install dataset-fashion-mnist` or set "
            "ADVZOO_DATA_DIR to a directory holding the four .gz files."
        ) from e
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    if images.shape != (SIZES[split], 28, 28):
        raise DataIntegrityError(f"Keras returned Fashion-MNIST of shape {images.shape}.")
    return images, labels.astype(np.int64)
