"""Orbit diagnostics: is the game converging, or rotating around an equilibrium?

`OrbitTracker` records, every `every` training batches, a fixed random 2-D
projection of each player's parameters (the seed project's "weight traces")
and the joint update `d_t = theta_t - theta_{t-1}` of all players. It reports

* `orbit_angle`: the mean angle (degrees) between consecutive joint updates.
  Gradient descent on a minimisation problem moves in a roughly constant
  direction (small angles); rotational game dynamics turn steadily (large
  angles, ~90 degrees and above for oscillation).
* `orbit_efficiency`: `||theta_T - theta_0|| / sum_t ||d_t||` over the window:
  close to 1 when parameters travel somewhere, close to 0 when they circle.
* `orbit_contraction`: the geometric mean of `||d_t|| / ||d_{t-1}||`. With
  rotation (a large angle), below 1 means spiralling in (converging), about 1
  a stable orbit, above 1 spiralling out.

and writes `orbits.png`: per player, the projected trajectory and its two
coordinates over time.
"""

import keras
import numpy as np

from advzoo.utils.images import save_figure


def _flat(variables):
    return np.concatenate([np.asarray(v.numpy(), np.float64).ravel() for v in variables])


class OrbitTracker(keras.callbacks.Callback):
    """Records parameter traces and rotation diagnostics of a game model.

    Args:
        every: record every this many training batches.
        path: where to write the PNG (None: no picture).
        seed: seed of the random projections.
    """

    def __init__(self, every=10, path="orbits.png", seed=0):
        super().__init__()
        self.every, self.path, self.seed = int(every), path, seed
        self.traces, self.angles, self.steps, self.log_ratios = {}, [], [], []
        self._prev_theta = self._prev_delta = None
        self._path_length = 0.0
        self._start = None
        self._batch = 0

    def _players(self):
        return self.model.players()

    def on_train_begin(self, logs=None):
        rng = np.random.default_rng(self.seed)
        self._proj = {}
        for p in self._players():
            n = sum(int(np.prod(v.shape)) for v in p.trainable_variables)
            self._proj[p.name] = rng.standard_normal((n, 2)) / np.sqrt(n)
            self.traces.setdefault(p.name, [])
        self._record()

    def _record(self):
        theta = []
        for p in self._players():
            flat = _flat(p.trainable_variables)
            self.traces[p.name].append(flat @ self._proj[p.name])
            theta.append(flat)
        theta = np.concatenate(theta)
        self.steps.append(self._batch)
        if self._start is None:
            self._start = theta
        if self._prev_theta is not None:
            delta = theta - self._prev_theta
            self._path_length += float(np.linalg.norm(delta))
            if self._prev_delta is not None:
                denom = np.linalg.norm(delta) * np.linalg.norm(self._prev_delta)
                if denom > 0:
                    cos = np.clip(delta @ self._prev_delta / denom, -1, 1)
                    self.angles.append(float(np.degrees(np.arccos(cos))))
                    self.log_ratios.append(float(np.log(np.linalg.norm(delta)
                                                        / np.linalg.norm(self._prev_delta))))
            self._prev_delta = delta
        self._prev_theta = theta

    def on_train_batch_end(self, batch, logs=None):
        self._batch += 1
        if self._batch % self.every == 0:
            self._record()

    def summary(self):
        """`orbit_angle` (degrees), `orbit_efficiency` and `orbit_contraction` so far."""
        displacement = float(np.linalg.norm(self._prev_theta - self._start)) if self._start is not None else 0.0
        return {"orbit_angle": float(np.mean(self.angles)) if self.angles else float("nan"),
                "orbit_efficiency": displacement / self._path_length if self._path_length else float("nan"),
                "orbit_contraction": float(np.exp(np.mean(self.log_ratios))) if self.log_ratios else float("nan")}

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self.summary())

    def on_train_end(self, logs=None):
        if self.path:
            plot_orbits(self.traces, self.steps, self.angles, self.path, self.summary())


def plot_orbits(traces, steps, angles, path, summary=None, title=None):
    """Writes the trace picture: per player the 2-D projected trajectory and
    its coordinates over training steps, plus the update angle over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(traces)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(3.4 * (len(names) + 1), 5.6))
    for col, name in enumerate(names):
        xy = np.asarray(traces[name])
        ax = axes[0, col]
        ax.plot(xy[:, 0], xy[:, 1], lw=0.8, color="0.6")
        ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(len(xy)), s=6, cmap="viridis")
        ax.set_title(f"{name}: projected parameters", fontsize=9)
        ax = axes[1, col]
        ax.plot(steps[:len(xy)], xy[:, 0], lw=0.9, label="projection 1")
        ax.plot(steps[:len(xy)], xy[:, 1], lw=0.9, label="projection 2")
        ax.set_xlabel("training step", fontsize=8)
        ax.set_title(f"{name}: weight traces", fontsize=9)
        ax.legend(fontsize=7)
    if len(names) >= 2:  # phase portrait: first player's vs second player's projection
        a, b = np.asarray(traces[names[0]]), np.asarray(traces[names[1]])
        ax = axes[0, -1]
        ax.plot(a[:, 0], b[:, 0], lw=0.8, color="0.6")
        ax.scatter(a[:, 0], b[:, 0], c=np.arange(len(a)), s=6, cmap="viridis")
        ax.scatter(a[:1, 0], b[:1, 0], marker="x", color="red", s=40, label="start")
        ax.set_title(f"joint: {names[0]} vs {names[1]}", fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[1, -1]
    if angles:
        ax.plot(angles, lw=0.8)
    ax.set_ylim(0, 180)
    ax.set_title("angle between consecutive updates (deg)", fontsize=9)
    if summary:
        ax.text(0.03, 0.97, "\n".join(f"{k}: {v:.3f}" for k, v in summary.items()),
                transform=ax.transAxes, va="top", fontsize=8, family="monospace")
    return save_figure(fig, path, title)


def rotation_ratio(game, data, probes=4, seed=0):
    """How rotational the game's vector field is at the current parameters.

    With `v(theta)` the joint field of every player's gradient of its own
    loss and `J` its Jacobian, split `J = S + A` into symmetric (potential)
    and antisymmetric (rotational) parts and return the mean over random
    probes `u` of `||A u||^2 / (||A u||^2 + ||S u||^2)`: 0 for a field that is
    the gradient of one function (plain minimisation), 1 for a purely
    rotational one (the bilinear game). `J u` is a forward-over-backward
    product, `J^T u` a Hessian-vector product; no Jacobian is formed.

    Args:
        game: a compiled `AdversarialGame`.
        data: a batch, as passed to `fit` (it is prepared like in training).
        probes: number of random directions.
        seed: seed of the directions.
    """
    import tensorflow as tf

    data = game.prepare_batch(data)
    players = game.players()
    variables = [v for p in players for v in p.trainable_variables]
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(probes):
        u = [tf.constant(rng.standard_normal(v.shape), v.dtype) for v in variables]
        with tf.GradientTape(persistent=True) as outer:
            with tf.autodiff.ForwardAccumulator([v.value for v in variables], u) as acc:
                field = []
                for p in players:
                    with tf.GradientTape() as inner:
                        loss, _ = game.player_loss(p, data, training=False)
                    field += inner.gradient(loss, p.trainable_variables)
            dot = tf.add_n([tf.reduce_sum(f * t) for f, t in zip(field, u)])
        ju = [acc.jvp(f, unconnected_gradients="zero") for f in field]
        jtu = outer.gradient(dot, variables, unconnected_gradients="zero")
        sym = sum(float(tf.reduce_sum(tf.square((a + b) / 2))) for a, b in zip(ju, jtu))
        anti = sum(float(tf.reduce_sum(tf.square((a - b) / 2))) for a, b in zip(ju, jtu))
        ratios.append(anti / (anti + sym) if anti + sym > 0 else float("nan"))
    return float(np.mean(ratios))
