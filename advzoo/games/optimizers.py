"""Optimizers for games."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="advzoo")
class OptimisticAdam(keras.optimizers.Adam):
    """Optimistic Adam (Daskalakis, Ilyas, Syrgkanis, Zeng 2018, Algorithm 1).

    Each step applies twice the current Adam step and takes back the previous
    one: `theta <- theta - 2 * lr * u_t + lr * u_{t-1}`, with
    `u_t = m_hat_t / (sqrt(v_hat_t) + epsilon)`. In a game this anticipates the
    opponent's next move and damps the rotation that makes plain Adam orbit.
    Works with any update rule; its extra state (the previous step) is saved
    with the optimizer.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as for `keras.optimizers.Adam`.
        **kwargs: other `keras.optimizers.Optimizer` arguments.
    """

    def __init__(self, learning_rate=1e-4, beta_1=0.5, beta_2=0.9, epsilon=1e-7,
                 name="optimistic_adam", **kwargs):
        kwargs.pop("amsgrad", None)
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=False, name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._previous_steps = self.add_optimizer_variables(var_list, "previous_step")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        previous = self._previous_steps[self._get_variable_index(variable)]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        m_hat = ops.divide(m, 1 - ops.power(ops.cast(self.beta_1, variable.dtype), t))
        v_hat = ops.divide(v, 1 - ops.power(ops.cast(self.beta_2, variable.dtype), t))
        step = ops.divide(m_hat, ops.add(ops.sqrt(v_hat), self.epsilon))
        self.assign_sub(variable, ops.subtract(ops.multiply(2.0 * lr, step), ops.multiply(lr, previous)))
        self.assign(previous, step)

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad", None)
        return config
