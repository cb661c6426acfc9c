"""Research-only terms of the forgetting study (docs/studies/forgetting.md):
the counterfactual pairs' relative distance, the groups' class-width gap and
a colour-blind input layer. None of them is used by a published preset and
none closed the gap the study measured; they stay here so that its rows can
be reproduced."""

import keras
from keras import layers, ops

from advzoo.distribute import replica_sum


@keras.saving.register_keras_serializable(package="advzoo_research")
class ChannelMean(layers.Layer):
    """The mean of an image's channels, kept as one channel: `(..., C) -> (..., 1)`."""

    def call(self, x):
        return ops.mean(x, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


def relative_pair_distance(features, twins):
    """Mean squared distance between each embedding and its twin's, divided
    by the mean squared distance between two embeddings of the batch
    (`2 * sum of per-dimension variances`): 0 for identical twins, about 1
    when twins are no closer than two random images, and unchanged when the
    embedding is scaled -- a plain squared distance is lowered most cheaply
    by shrinking every embedding. Its batch statistics are summed over the
    replicas of a distribution strategy, so a mirrored batch gives the
    global batch's value.

    Args:
        features: `(batch, dim)` embeddings.
        twins: `(batch, dim)` embeddings of their counterparts.
    """
    dim = ops.shape(features)[-1]
    count = ops.cast(ops.shape(features)[0], features.dtype)
    sums = replica_sum(ops.concatenate([
        ops.stack([ops.sum(ops.square(features - twins)), count]),
        ops.sum(features, 0), ops.sum(ops.square(features), 0)], 0))
    mean = sums[2:2 + dim] / sums[1]
    variance = ops.maximum(sums[2 + dim:] / sums[1] - ops.square(mean), 0.0)
    return (sums[0] / sums[1]) / (2.0 * ops.sum(variance) + 1e-8)


WIDTH_SIDES = ("both", "wider")


def class_width_gap(features, labels, group, side="both", eps=1e-6):
    """How unequally wide two groups' clusters are: the squared log ratio of
    the two groups' mean squared distances to their class centres, each
    distance measured relative to its class's mean squared distance (over both
    groups), so that classes of different widths count alike. The centre of a
    class is the mean of both groups' members. 0 when the two groups' garments
    sit equally far from their class centres; unchanged when the embedding is
    scaled. Pooling the classes keeps the estimate steady on small batches
    (a class has only a few members of each group there). A network that
    cannot see through a nuisance (a texture) entirely turns it into noise on
    the embedding: that group's clusters come out wider, which an MLP probe
    reads and a linear one cannot. Batch statistics are summed over the
    replicas of a distribution strategy, so a mirrored batch gives the
    global batch's value.

    Args:
        features: `(batch, dim)` embeddings.
        labels: `(batch, num_classes)` one-hot labels (or class probabilities:
            soft memberships).
        group: `(batch,)` 0.0 or 1.0, the nuisance group of each example.
        side: `"both"`: the gradient moves both groups (the narrower one can
            be spread out as well as the wider one pulled in); `"wider"`:
            the same value, but only the currently wider group's distances
            carry a gradient (centres and widths held fixed), so it can only
            be evened out by pulling that group in.
    """
    if side not in WIDTH_SIDES:
        raise ValueError(f"side must be one of {WIDTH_SIDES}, got {side!r}.")
    labels = ops.cast(labels, features.dtype)
    group = ops.cast(ops.reshape(group, (-1,)), features.dtype)
    totals = replica_sum(ops.concatenate(
        [ops.matmul(ops.transpose(labels), features), ops.sum(labels, 0)[:, None]], 1))
    centres = totals[:, :-1] / ops.maximum(totals[:, -1:], 1e-6)
    if side == "wider":
        centres = ops.stop_gradient(centres)
    squared = ops.sum(ops.square(features - ops.matmul(labels, centres)), -1)
    held = ops.stop_gradient(squared) if side == "wider" else squared
    widths = replica_sum(ops.sum(labels * held[:, None], 0)) / ops.maximum(totals[:, -1], 1e-6)
    relative = squared / (ops.matmul(labels, widths) + eps)
    stats = replica_sum(ops.stack([ops.sum((1.0 - group) * relative), ops.sum(1.0 - group),
                                    ops.sum(group * relative), ops.sum(group)]))
    mean = [stats[0] / ops.maximum(stats[1], 1.0) + eps, stats[2] / ops.maximum(stats[3], 1.0) + eps]
    log_ratio = ops.log(mean[1]) - ops.log(mean[0])
    if side == "wider":
        fixed = [ops.stop_gradient(m) for m in mean]
        log_ratio = ops.where(fixed[1] > fixed[0], ops.log(mean[1]) - ops.log(fixed[0]),
                              ops.log(fixed[1]) - ops.log(mean[0]))
    both = ops.cast((stats[1] > 0) & (stats[3] > 0), features.dtype)
    return both * ops.square(log_ratio)
