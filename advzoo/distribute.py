"""Resolving `strategy=` arguments to `tf.distribute` strategies."""

import tensorflow as tf


def get_strategy(strategy=None):
    """Returns a `tf.distribute.Strategy`.

    Args:
        strategy: None or `"default"` (the current/default strategy),
            `"mirrored"` (`tf.distribute.MirroredStrategy` over all local GPUs, or
            the CPU when there is none), or a `tf.distribute.Strategy` instance.
    """
    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(f"strategy must be None, 'default', 'mirrored' or a "
                     f"tf.distribute.Strategy, got {strategy!r}.")
