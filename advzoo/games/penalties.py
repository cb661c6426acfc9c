"""Penalties and stabilisers usable with any game and any update rule.

All return *per-example* values; reduce them with
`AdversarialGame.replica_mean` so they are correct under `tf.distribute`.
"""

import keras
import tensorflow as tf

from advzoo.distribute import replica_draw


def _input_gradients(critic, x, training):
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = critic(x, training=training)
    grads = tape.gradient(out, x)
    return tf.reshape(grads, (tf.shape(x)[0], -1))


def gradient_penalty(critic, real, fake, one_sided=False, training=True, seed=None):
    """WGAN-GP (Gulrajani et al. 2017): `(||grad D(x_hat)|| - 1)^2` at random
    interpolates `x_hat = e * real + (1 - e) * fake`, `e ~ U[0, 1]` per sample.

    Args:
        one_sided: penalise only norms above 1 (`max(0, ||g|| - 1)^2`).
        seed: a `keras.random.SeedGenerator` (or int) for the interpolation;
            under `tf.distribute` each replica takes its slice of one
            global-batch draw (`advzoo.distribute.replica_draw`).
    """
    # one draw over the global batch, sliced per replica: distributed runs
    # interpolate exactly where a single-device run with the same seed does
    eps = replica_draw(lambda m: keras.random.uniform(
        tf.stack([m] + [1] * (len(real.shape) - 1)), seed=seed, dtype=real.dtype),
        tf.shape(real)[0])
    x_hat = eps * real + (1.0 - eps) * tf.stop_gradient(fake)
    norm = tf.sqrt(tf.reduce_sum(tf.square(_input_gradients(critic, x_hat, training)), 1) + 1e-12)
    excess = tf.nn.relu(norm - 1.0) if one_sided else norm - 1.0
    return tf.square(excess)


def r1_penalty(discriminator, real, training=True):
    """R1 (Mescheder et al. 2018): `||grad D(x)||^2` on real data (times gamma/2
    in the loss); zero-centred, so it does not push the equilibrium away."""
    return tf.reduce_sum(tf.square(_input_gradients(discriminator, real, training)), 1)


def r2_penalty(discriminator, fake, training=True):
    """R2: `||grad D(x)||^2` on generated data."""
    return r1_penalty(discriminator, tf.stop_gradient(fake), training)


@keras.saving.register_keras_serializable(package="advzoo")
class ClipConstraint(keras.constraints.Constraint):
    """Clips weights to `[-clip_value, clip_value]` after every update (the
    original WGAN's Lipschitz constraint); Keras optimizers apply it, so it is
    correct under `tf.distribute`."""

    def __init__(self, clip_value=0.01):
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return keras.ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}
