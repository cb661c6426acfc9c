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


def replica_sum(x):
    """Sum of `x` over the replicas of the current strategy (identity on one
    device): batch statistics that must span the global batch (a mean
    prediction, class centres) use it inside a loss; it is differentiable."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x)
