"""Layers that adversarial models share.

`GradientReversal` (Ganin & Lempitsky 2015): the identity on the forward pass,
`-lambda * gradient` on the backward pass. Placed between a feature extractor
and an adversary, one backward pass of `task_loss + adversary_loss` moves the
adversary to *minimise* its loss and the features to *maximise* it -- the two
players' simultaneous gradient step, computed in one go.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="advzoo")
class GradientReversal(keras.layers.Layer):
    """Identity forward, `-lambda_ * gradient` backward.

    `lambda_` lives in a non-trainable variable, so it can change during
    training (see `advzoo.models.dann.GradientReversalSchedule`) inside a
    compiled or XLA train step and under `tf.distribute`, and it is saved
    with the weights.

    Args:
        lambda_: initial reversal strength (>= 0).

    Example:
    >>> grl = advzoo.layers.GradientReversal(lambda_=0.5)
    >>> domain_logits = domain_head(grl(features))
    >>> grl.lambda_ = 1.0  # e.g. from a callback

    Reference:
        Ganin, Lempitsky. Unsupervised Domain Adaptation by Backpropagation.
        ICML 2015.
    """

    def __init__(self, lambda_=1.0, **kwargs):
        super().__init__(**kwargs)
        if float(lambda_) < 0:
            raise ValueError(f"GradientReversal lambda_ must be >= 0, got {lambda_}.")
        self.initial_lambda = float(lambda_)
        self.strength = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_lambda),
            trainable=False, name="lambda", aggregation="only_first_replica")

    @property
    def lambda_(self):
        """The current reversal strength, as a float."""
        return float(keras.ops.convert_to_numpy(self.strength))

    @lambda_.setter
    def lambda_(self, value):
        if float(value) < 0:
            raise ValueError(f"GradientReversal lambda_ must be >= 0, got {value}.")
        self.strength.assign(float(value))

    def call(self, inputs):
        strength = tf.cast(tf.convert_to_tensor(self.strength), inputs.dtype)

        @tf.custom_gradient
        def reverse(x):
            def grad(upstream):
                return -strength * upstream

            return tf.identity(x), grad

        return reverse(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lambda_": self.initial_lambda}
