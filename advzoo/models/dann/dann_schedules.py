"""The DANN schedules (Ganin et al. 2016, section 5.2.2), the multi-kernel
MMD of DAN (Long et al. 2015).

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
