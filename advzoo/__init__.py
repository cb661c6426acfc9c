"""advzoo: a Keras 3 / TensorFlow model zoo for adversarial learning.

Example:
>>> import advzoo
>>> advzoo.list_models()
>>> model = advzoo.load("dcgan_fashion_mnist")
>>> images = model.generate(16, seed=0)

Importing advzoo is cheap: `list_models` and `info` read recipes and the
manifest only; TensorFlow is imported when a model is built (or when one of
the submodules `data`, `games`, `layers`, `metrics`, `tuning` is used).
"""

import importlib
import os

if os.environ.setdefault("KERAS_BACKEND", "tensorflow") != "tensorflow":
    raise ImportError("advzoo needs the TensorFlow backend of Keras; unset KERAS_BACKEND or "
                      f"set it to 'tensorflow' (it is {os.environ['KERAS_BACKEND']!r}).")

from advzoo._version import __version__  # noqa: E402
from advzoo.api import info, list_models, load, save_to_preset  # noqa: E402

_SUBMODULES = ("data", "games", "layers", "metrics", "tuning")

__all__ = [*_SUBMODULES, "info", "list_models", "load", "save_to_preset", "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:  # imported when first used: they import TensorFlow
        return importlib.import_module(f"advzoo.{name}")
    raise AttributeError(f"module 'advzoo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
