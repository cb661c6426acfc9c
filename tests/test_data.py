import gzip
import shutil

import numpy as np
import pytest

import advzoo
from advzoo.data import fashion_mnist


def test_fashion_mnist_splits_shapes_and_labels():
    x, y = advzoo.data.load("fashion_mnist", split="test")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (10000,) and set(np.unique(y)) == set(range(10))
    x_train, _ = advzoo.data.load("fashion_mnist", split="train")
    assert x_train.shape == (60000, 28, 28)


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        advzoo.data.load("fashion_mnist", split="validation")


def test_user_data_dir_takes_precedence_and_is_verified(tmp_path, monkeypatch):
    for name in fashion_mnist.FILES["test"]:
        shutil.copy(fashion_mnist.DEBIAN_DIR / name, tmp_path / name)
    monkeypatch.setenv("ADVZOO_DATA_DIR", str(tmp_path))
    x, _ = advzoo.data.load("fashion_mnist", "test")
    assert x.shape == (10000, 28, 28)
    # Alter one pixel: the checksum of the decompressed file catches it.
    raw = bytearray(gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz").read())
    raw[1000] ^= 0xFF
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(advzoo.data.DataIntegrityError, match="sha256"):
        advzoo.data.load("fashion_mnist", "test")
    # A truncated file is reported as corrupt, not as a crash deep in gzip.
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00trunc")
    with pytest.raises(advzoo.data.DataIntegrityError, match="corrupt or truncated"):
        advzoo.data.load("fashion_mnist", "test")


def test_unreadable_data_dir_names_the_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVZOO_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="ADVZOO_DATA_DIR"):
        advzoo.data.load("fashion_mnist", "test")


def test_unknown_dataset_lists_what_exists():
    with pytest.raises(ValueError, match="fashion_mnist"):
        advzoo.data.load("no_such_dataset_xyz")


def test_make_dataset_scales_batches_and_shuffles():
    x, y = advzoo.data.load("fashion_mnist", "test")
    ds = advzoo.data.make_dataset(x[:100], y[:100], batch_size=32, seed=1)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 3  # drop_remainder keeps GAN batches equal
    images, labels = batches[0]
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert not np.array_equal(labels, y[:32])  # shuffled
    np.testing.assert_array_equal(advzoo.data.to_uint8(advzoo.data.to_float(x[:5]))[..., 0], x[:5])


def test_every_single_byte_flip_of_a_gz_file_is_a_clear_error(tmp_path, monkeypatch):
    """Flipped bytes inside the deflate stream raised a raw zlib.error on
    about 45 % of positions; now every flip is a DataIntegrityError."""
    for name in fashion_mnist.FILES["test"]:
        shutil.copy(fashion_mnist.DEBIAN_DIR / name, tmp_path / name)
    monkeypatch.setenv("ADVZOO_DATA_DIR", str(tmp_path))
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    original = labels.read_bytes()
    rng = np.random.default_rng(0)
    for position in [300, *rng.integers(10, len(original) - 8, 40)]:
        data = bytearray(original)
        data[position] ^= 0xFF
        labels.write_bytes(bytes(data))
        with pytest.raises(advzoo.data.DataIntegrityError, match=str(labels)):
            advzoo.data.load("fashion_mnist", "test")  # (what gzip's CRC misses, sha256 sees)
    labels.write_bytes(original)
    assert advzoo.data.load("fashion_mnist", "test")[1].shape == (10000,)


def test_an_unreadable_data_file_is_not_called_corrupt(tmp_path, monkeypatch):
    for name in fashion_mnist.FILES["test"]:
        (tmp_path / name).mkdir()  # there, but not a readable file (as an unreadable one is)
    monkeypatch.setenv("ADVZOO_DATA_DIR", str(tmp_path))
    with pytest.raises(advzoo.data.DataIntegrityError, match="Cannot read .*Make the file readable") as e:
        advzoo.data.load("fashion_mnist", "test")
    assert "corrupt" not in str(e.value)
