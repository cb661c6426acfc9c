"""advzoo: a Keras 3 / TensorFlow model zoo for adversarial learning.

Example:
>>> import advzoo
>>> advzoo.list_models()
>>> model = advzoo.load("dcgan_fashion_mnist")
>>> images = model.generate(16, seed=0)
"""

import os

if os.environ.setdefault("KERAS_BACKEND", "tensorflow") != "tensorflow":
    raise ImportError("advzoo needs the TensorFlow backend of Keras; unset KERAS_BACKEND or "
                      f"set it to 'tensorflow' (it is {os.environ['KERAS_BACKEND']!r}).")

__version__ = "0.1.0"

from advzoo import data, games, layers, metrics  # noqa: E402
from advzoo.api import info, list_models, load  # noqa: E402

__all__ = ["data", "games", "info", "layers", "list_models", "load", "metrics", "tuning", "__version__"]


def __getattr__(name):
    if name == "tuning":  # keras-tuner is imported only when asked for
        import importlib

        return importlib.import_module("advzoo.tuning")
    raise AttributeError(f"module 'advzoo' has no attribute {name!r}")
