"""Test set-up: two logical CPU devices (for MirroredStrategy equivalence
tests) and an isolated weights cache, so tests never touch the user's."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Synthesised domains are shared by the whole session (generating one takes seconds).
os.environ.setdefault("ADVZOO_DATA_CACHE_DIR", tempfile.mkdtemp(prefix="advzoo-data-"))

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ADVZOO_WEIGHTS_URL", raising=False)
    return tmp_path / "cache"
