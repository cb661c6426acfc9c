"""The DANN schedules (Ganin et al. 2016, section 5.2.2), the multi-kernel
MMD of DAN (Long et al. 2015), the counterfactual pairs' distance and the
groups' class-width gap.

With training progress `p` in [0, 1]:

* reversal strength  `lambda_p = lambda_max * (2 / (1 + exp(-gamma p)) - 1)`, gamma = 10,
* learning rate      `mu_p = mu_0 / (1 + alpha p) ** beta`, alpha = 10, beta = 0.75.
"""

import math

import keras
from keras import ops

from advzoo.layers import GradientReversal


def reversal_strength(progress, lambda_max=1.0, gamma=10.0):
    """`lambda_max * (2 / (1 + exp(-gamma * progress)) - 1)`, progress clipped to [0, 1]."""
    p = min(max(float(progress), 0.0), 1.0)
    return float(lambda_max) * (2.0 / (1.0 + math.exp(-float(gamma) * p)) - 1.0)


def _game_iterations(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None and hasattr(model, "players"):
        optimizer = model.optimizer_for(model.players()[0])
    return 0 if optimizer is None else int(ops.convert_to_numpy(optimizer.iterations))


class GradientReversalSchedule(keras.callbacks.Callback):
    """Sets every `GradientReversal` layer's `lambda_` (and the model's
    `adversary_weight`, if it has one) from training progress before each batch.

    Progress is counted in optimizer steps, so a resumed run continues the
    schedule where it stopped.

    Args:
        total_steps: the number of training steps that make up `p = 1`.
        lambda_max: the strength reached at the end.
        gamma: steepness of the ramp (10 in the paper).

    Example:
    >>> steps = epochs * steps_per_epoch
    >>> model.fit(ds, epochs=epochs, callbacks=[GradientReversalSchedule(steps)])
    """

    def __init__(self, total_steps, lambda_max=1.0, gamma=10.0):
        super().__init__()
        if int(total_steps) < 1:
            raise ValueError(f"total_steps must be a positive integer, got {total_steps}.")
        self.total_steps = int(total_steps)
        self.lambda_max = float(lambda_max)
        self.gamma = float(gamma)
        self._step = 0

    def _layers(self):
        return [layer for layer in self.model._flatten_layers(include_self=False)
                if isinstance(layer, GradientReversal)]

    def on_train_begin(self, logs=None):
        self._step = _game_iterations(self.model)
        self._targets = self._layers()
        if not self._targets:
            raise ValueError(f"GradientReversalSchedule found no GradientReversal layer in "
                             f"{type(self.model).__name__}.")

    def on_train_batch_begin(self, batch, logs=None):
        value = reversal_strength(self._step / self.total_steps, self.lambda_max, self.gamma)
        for layer in self._targets:
            layer.lambda_ = value
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._targets:
            logs["lambda"] = self._targets[0].lambda_


@keras.saving.register_keras_serializable(package="advzoo")
class DANNLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """`initial_learning_rate / (1 + alpha * p) ** beta`, `p = step / total_steps`.

    A Keras learning-rate schedule (so it is saved with the optimizer and runs
    inside compiled steps), the DANN paper's annealing.

    Args:
        initial_learning_rate: `mu_0`.
        total_steps: steps that make up `p = 1`.
        alpha: 10 in the paper.
        beta: 0.75 in the paper.
    """

    def __init__(self, initial_learning_rate, total_steps, alpha=10.0, beta=0.75):
        if int(total_steps) < 1:
            raise ValueError(f"total_steps must be a positive integer, got {total_steps}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def __call__(self, step):
        p = ops.minimum(ops.cast(step, "float32") / self.total_steps, 1.0)
        return self.initial_learning_rate / ops.power(1.0 + self.alpha * p, self.beta)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps, "alpha": self.alpha, "beta": self.beta}


def mk_mmd(x, y, num_kernels=5, kernel_mul=2.0):
    """Squared multi-kernel MMD between two samples of features (biased estimate).

    Gaussian kernels with bandwidths `base * kernel_mul ** (k - num_kernels // 2)`,
    `base` the mean pairwise squared distance of the pooled sample (the
    bandwidths of DAN, Long et al. 2015), summed over kernels.

    Args:
        x: `(n, d)` features of one domain.
        y: `(m, d)` features of the other.
    """
    n, m = ops.shape(x)[0], ops.shape(y)[0]
    in_x = ops.concatenate([ops.ones((n,)), ops.zeros((m,))], 0)
    return group_mk_mmd(ops.concatenate([x, y], axis=0), in_x, 1.0 - in_x,
                        num_kernels, kernel_mul)


MMD_BANDWIDTHS = ("pooled", "label_weighted")


def group_mk_mmd(features, weights_a, weights_b, num_kernels=5, kernel_mul=2.0, labels=None,
                 bandwidth="pooled"):
    """`mk_mmd` between two weighted groups of one batch of features.

    Args:
        features: `(n, d)` features.
        weights_a: `(n,)` non-negative weights of group a (0 outside it).
        weights_b: `(n,)` the same for group b.
        labels: optional `(n, num_classes)` label distributions (one-hot, or
            predicted probabilities for unlabelled examples). The feature
            kernel is then multiplied by the label kernel `<q_i, q_j>`: the MMD
            between the *joint* distributions of features and labels (as in
            JAN, Long et al. 2017). With one-hot labels it only compares
            examples of one class: it is zero when every class's features are
            distributed alike in both groups (class-conditional matching),
            and it does not pull different classes together.
        bandwidth: what sets the kernels' `base` squared distance:
            `"pooled"` (DAN) the mean over all pairs of the batch;
            `"label_weighted"` the mean over the pairs the label kernel
            compares (weighted by `<q_i, q_j>`, self-pairs excluded): with
            one-hot labels the typical distance *within* a class, several
            times smaller than across classes, so the kernels resolve how
            garments of one class are spread (the same as `"pooled"`
            without labels).
    Returns 0 when a group is empty.
    """
    if bandwidth not in MMD_BANDWIDTHS:
        raise ValueError(f"bandwidth must be one of {MMD_BANDWIDTHS}, got {bandwidth!r}.")
    sq = ops.sum(features * features, axis=1)
    d2 = ops.maximum(sq[:, None] + sq[None, :]
                     - 2.0 * ops.matmul(features, ops.transpose(features)), 0.0)
    label_kernel = None if labels is None else ops.matmul(labels, ops.transpose(labels))
    if bandwidth == "label_weighted" and label_kernel is not None:
        pairs = label_kernel * (1.0 - ops.eye(ops.shape(d2)[0]))
        base = ops.sum(d2 * pairs) / ops.maximum(ops.sum(pairs), 1e-12)
    else:
        base = ops.mean(d2)
    base = ops.stop_gradient(base) + 1e-6
    kernel = sum(ops.exp(-d2 / (base * kernel_mul ** (k - num_kernels // 2)))
                 for k in range(num_kernels))
    if label_kernel is not None:
        kernel = kernel * label_kernel
    a = weights_a / ops.maximum(ops.sum(weights_a), 1e-12)
    b = weights_b / ops.maximum(ops.sum(weights_b), 1e-12)
    diff = a - b
    mmd = ops.sum(diff[:, None] * kernel * diff[None, :])
    both = ops.cast(ops.sum(weights_a) > 0, "float32") * ops.cast(ops.sum(weights_b) > 0, "float32")
    return mmd * both


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
    sums = _replica_sum(ops.concatenate([
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
    totals = _replica_sum(ops.concatenate(
        [ops.matmul(ops.transpose(labels), features), ops.sum(labels, 0)[:, None]], 1))
    centres = totals[:, :-1] / ops.maximum(totals[:, -1:], 1e-6)
    if side == "wider":
        centres = ops.stop_gradient(centres)
    squared = ops.sum(ops.square(features - ops.matmul(labels, centres)), -1)
    held = ops.stop_gradient(squared) if side == "wider" else squared
    widths = _replica_sum(ops.sum(labels * held[:, None], 0)) / ops.maximum(totals[:, -1], 1e-6)
    relative = squared / (ops.matmul(labels, widths) + eps)
    stats = _replica_sum(ops.stack([ops.sum((1.0 - group) * relative), ops.sum(1.0 - group),
                                    ops.sum(group * relative), ops.sum(group)]))
    mean = [stats[0] / ops.maximum(stats[1], 1.0) + eps, stats[2] / ops.maximum(stats[3], 1.0) + eps]
    log_ratio = ops.log(mean[1]) - ops.log(mean[0])
    if side == "wider":
        fixed = [ops.stop_gradient(m) for m in mean]
        log_ratio = ops.where(fixed[1] > fixed[0], ops.log(mean[1]) - ops.log(fixed[0]),
                              ops.log(fixed[1]) - ops.log(mean[0]))
    both = ops.cast((stats[1] > 0) & (stats[3] > 0), features.dtype)
    return both * ops.square(log_ratio)


def _replica_sum(x):
    """Sum of `x` over the replicas of the current strategy (identity on one device)."""
    import tensorflow as tf

    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x)
