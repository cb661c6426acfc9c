"""Toy games with known equilibria, for testing and visualising update rules.

* `BilinearGame`: min_x max_y x*y; equilibrium (0, 0). Simultaneous gradient
  play spirals out, alternating play orbits, extragradient / optimistic /
  consensus / lookahead spiral in.
* `DiracGAN` (Mescheder, Geiger, Nowozin 2018): real data is a point mass at 0,
  the generator is a point mass at theta, the discriminator is D(x) = psi * x;
  V(psi, theta) = f(psi * theta) + f(0) with f(t) = -log(1 + exp(-t)).
  Equilibrium (theta, psi) = (0, 0). Unregularised gradient play does not
  converge; an R1 penalty (gamma/2 * psi^2, the squared gradient of D on real
  data) makes alternating play converge.
"""

import keras
import numpy as np
from keras import ops

from advzoo.games.base import AdversarialGame, Player


@keras.saving.register_keras_serializable(package="advzoo")
class Scalar(keras.layers.Layer):
    """A layer holding one trainable scalar (a player's whole strategy)."""

    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = float(initial)
        self.value_var = self.add_weight(shape=(), initializer=keras.initializers.Constant(initial),
                                         name="value")

    def call(self, inputs=None):
        return self.value_var

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


class _ScalarGame(AdversarialGame):
    def __init__(self, x0=1.0, y0=1.0, **kwargs):
        super().__init__(**kwargs)
        self.x0, self.y0 = float(x0), float(y0)
        self.x, self.y = Scalar(x0, name="x"), Scalar(y0, name="y")
        self.built = True

    def state(self):
        """Current `(x, y)` as floats."""
        return float(self.x.value_var.numpy()), float(self.y.value_var.numpy())

    def distance_to_equilibrium(self):
        return float(np.hypot(*self.state()))

    def players(self):
        return [Player("min", [self.x], lambda data, training=True: self.value()),
                Player("max", [self.y], lambda data, training=True: -self.value())]

    def get_config(self):
        return {**super().get_config(), "x0": self.x0, "y0": self.y0}


@keras.saving.register_keras_serializable(package="advzoo")
class BilinearGame(_ScalarGame):
    """min_x max_y x*y."""

    def value(self):
        return self.x.value_var * self.y.value_var


@keras.saving.register_keras_serializable(package="advzoo")
class DiracGAN(_ScalarGame):
    """Dirac-GAN; `x` is the generator's theta, `y` the discriminator's psi.

    Args:
        r1: R1 penalty weight gamma (0 disables it).
    """

    def __init__(self, r1=0.0, **kwargs):
        super().__init__(**kwargs)
        self.r1 = float(r1)

    def value(self):
        theta, psi = self.x.value_var, self.y.value_var
        return -ops.softplus(-psi * theta) - ops.softplus(ops.zeros_like(psi))

    def players(self):
        gen, disc = super().players()
        return [Player("min", gen.layers, gen.loss),
                Player("max", disc.layers, lambda data, training=True:
                       -self.value() + 0.5 * self.r1 * self.y.value_var ** 2)]

    def get_config(self):
        return {**super().get_config(), "r1": self.r1}


def play_toy(game, rule, steps, learning_rate=0.1, optimizer="sgd"):
    """Compiles `game` with `rule` and plain SGD, plays `steps` steps and returns
    the trajectory `(steps + 1, 2)` of `(x, y)`."""
    import tensorflow as tf

    from advzoo.games.optimizers import OptimisticAdam

    opt = {"sgd": lambda: keras.optimizers.SGD(learning_rate),
           "adam": lambda: keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.9),
           "optimistic_adam": lambda: OptimisticAdam(learning_rate)}[optimizer]
    game.compile(optimizers={"min": opt(), "max": opt()}, game=rule)
    step = tf.function(game.train_step)
    batch = tf.zeros((1, 1))
    trajectory = [game.state()]
    for _ in range(steps):
        step(batch)
        trajectory.append(game.state())
    return np.asarray(trajectory)
