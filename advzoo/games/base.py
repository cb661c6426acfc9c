"""The game base: players declare what they want, update rules decide how they play.

A family (DCGAN, WGAN, BiGAN, ...) subclasses `AdversarialGame` and writes only
what is particular to it: its networks and one loss per player. The base owns
the rest, once for everyone:

* one optimizer per player, created in `compile()` and built eagerly so that
  variables live in the right `tf.distribute` scope,
* the `train_step`, delegated to an update rule (`alternating` by default),
* loss trackers that report the true global loss under `tf.distribute`,
* `get_compile_config`/`compile_from_config`, so that `.keras` files and
  weight files restore every optimizer's state.
"""

import warnings

import keras
import numpy as np
import tensorflow as tf
from advzoo.compat import MultiWorkerBuild, StatelessScope
from advzoo.compat import scale_loss_for_distribution, unscale_loss_for_distribution

from advzoo.games.rules import get_update_rule, serialize_rule
from advzoo.saving import PresetMixin
from advzoo.utils.inputs import check_fit_arrays


def _all_finite(grads, loss=None):
    """True when `loss` and every gradient are finite, on every replica."""
    checks = [tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None]
    if loss is not None:
        checks.append(tf.reduce_all(tf.math.is_finite(loss)))
    bad = 1.0 - tf.cast(tf.reduce_all(tf.stack(checks)) if checks else True, tf.float32)
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        bad = ctx.all_reduce(tf.distribute.ReduceOp.SUM, bad)  # any replica's NaN counts
    return bad < 0.5


class NonFiniteLossStop(keras.callbacks.Callback):
    """Stops `fit` at the first batch whose logged loss is NaN or inf (the game
    base did not apply that update) and reports which batch it was."""

    def __init__(self):
        super().__init__()
        self.stopped_at = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in (logs or {}).items()
               if k.endswith("loss") and not np.isfinite(float(np.asarray(v)))}
        if bad:
            self.stopped_at = (self._epoch, batch, sorted(bad))
            self.model.stop_training = True


def fit_stopped_error(model, epoch, batch, losses):
    return FloatingPointError(
        f"{type(model).__name__}.fit stopped: batch {batch} of epoch {epoch + 1} gave a "
        f"non-finite {', '.join(losses)} (NaN/inf in that batch's data, or diverged training). "
        "No update with a non-finite loss or gradient was kept: the weights and optimizer "
        "state are those of the last finite update, and no later batch ran. Check the data "
        "(advzoo.data.to_float scales uint8 images) or lower the learning rates.")


class Player:
    """One player of a game.

    Args:
        name: short name, e.g. `"discriminator"`; the optimizer is passed to
            `compile()` under this name and the loss is logged as `<name>_loss`.
        layers: the layers (or models) whose trainable variables this player moves.
        loss: callable `loss(data, training) -> loss` or `-> (loss, {metric: value})`.
            Losses must be replica-scaled means (use `keras.losses` objects or
            `AdversarialGame.replica_mean`), so that they are correct under
            `tf.distribute`.
        steps: how many updates this player takes per round of `alternating` play.
        metrics: names of the extra values its loss returns, logged as they are.
    """

    def __init__(self, name, layers, loss, steps=1, metrics=()):
        self.name = name
        self.layers = list(layers)
        self.loss = loss
        self.steps = int(steps)
        self.metrics = tuple(metrics)

    @property
    def trainable_variables(self):
        return [v for layer in self.layers for v in layer.trainable_variables]


class AdversarialGame(MultiWorkerBuild, PresetMixin, keras.Model):
    """Base class for models trained as a game between players.

    Subclasses implement `players()` and may override `prepare_batch(data)`
    (validation and unpacking of a batch). `train_step` is the base's: it hands
    the batch to the compiled update rule, which calls `take_step` for the
    players in the order and number that the rule defines.
    """

    def players(self):
        """Returns the list of `Player`s, in the order they move."""
        raise NotImplementedError

    # ---------------------------------------------------------------- compile
    def compile(self, optimizers=None, game="alternating", steps=None, **kwargs):
        """Configures the game for training.

        Args:
            optimizers: dict `{player name: optimizer}`; optimizer identifiers
                (`"adam"`, config dicts) are accepted.
            game: update rule name (see `advzoo.games.UPDATE_RULES`) or instance.
            steps: optional dict `{player name: updates per round}` overriding the
                players' defaults (e.g. `{"discriminator": 5}`).
            **kwargs: passed to `keras.Model.compile` (`jit_compile`, `run_eagerly`, ...).
        """
        names = [p.name for p in self.players()]
        optimizers = dict(optimizers or {})
        missing = [n for n in names if n not in optimizers]
        unknown = [n for n in optimizers if n not in names]
        if missing or unknown:
            raise ValueError(
                f"{type(self).__name__}.compile needs one optimizer per player {names}; "
                f"missing {missing}, unknown {unknown}."
            )
        steps = dict(steps or {})
        bad = {k: v for k, v in steps.items() if k not in names or int(v) < 1}
        if bad:
            raise ValueError(f"steps must map players {names} to integers >= 1, got {bad}.")
        self._steps = {n: int(v) for n, v in steps.items()}
        resolved = {n: keras.optimizers.get(optimizers[n]) for n in names}
        rule = get_update_rule(game)
        rule.check(self, resolved)  # fail here, not mid-training
        self.update_rule = rule
        for name in names:
            setattr(self, f"{name}_optimizer", resolved[name])
        if self.distribute_strategy.num_replicas_in_sync > 1 and kwargs.get("jit_compile", "auto"):
            if kwargs.get("jit_compile") is True:
                warnings.warn("jit_compile=True is turned off under a multi-replica strategy: XLA "
                              "cannot compile the replicas' latent-sampler state, which lives on "
                              "each replica's device. Training runs as a tf.function instead.")
            kwargs["jit_compile"] = False
        super().compile(optimizer=None, **kwargs)
        self._compile_steps = steps
        self._make_trackers()
        for player in self.players():
            self.optimizer_for(player).build(player.trainable_variables)
        self.update_rule.build(self)

    def optimizer_for(self, player):
        return getattr(self, f"{player.name}_optimizer")

    def steps_for(self, player):
        return self._steps.get(player.name, player.steps)

    def get_compile_config(self):
        if getattr(self, "update_rule", None) is None:
            return None
        names = [p.name for p in self.players()]
        return {
            "optimizers": {
                n: keras.optimizers.serialize(getattr(self, f"{n}_optimizer")) for n in names
            },
            "game": serialize_rule(self.update_rule),
            "steps": self._compile_steps,
        }

    def compile_from_config(self, config):
        config = dict(config)
        config["optimizers"] = {
            n: keras.optimizers.deserialize(c) for n, c in config["optimizers"].items()
        }
        self.compile(**config)

    # ---------------------------------------------------------------- metrics
    def _make_trackers(self):
        self._trackers = {}
        for player in self.players():
            for name in (f"{player.name}_loss",) + player.metrics:
                self._trackers[name] = keras.metrics.Mean(name=name)

    @property
    def metrics(self):
        return list(getattr(self, "_trackers", {}).values())

    def _record(self, player, loss, extras):
        self._trackers[f"{player.name}_loss"].update_state(unscale_loss_for_distribution(loss))
        for name, value in extras.items():
            self._trackers[name].update_state(value)

    # ---------------------------------------------------------------- playing
    @staticmethod
    def replica_mean(values):
        """Mean of per-example values, scaled so that gradients summed over
        replicas equal the gradient of the global-batch mean."""
        return scale_loss_for_distribution(tf.reduce_mean(values))

    def player_loss(self, player, data, training=True):
        out = player.loss(data, training=training)
        return out if isinstance(out, tuple) else (out, {})

    def gradients(self, player, data, at=None):
        """Returns `(loss, extras, grads)` of a player's loss w.r.t. its variables.

        Args:
            player: the `Player`.
            data: the prepared batch.
            at: optional list of `(variable, value)` pairs covering (at least)
                every trainable variable of the game: the gradient is then taken
                at those values instead of the variables' current ones (used by
                extrapolating rules). State updates made meanwhile (e.g. batch
                norm statistics) are discarded.
        """
        if at is None:
            variables = player.trainable_variables
            with tf.GradientTape() as tape:
                loss, extras = self.player_loss(player, data)
            return loss, extras, tape.gradient(loss, variables)
        mapping = dict((id(v), value) for v, value in at)
        values = [mapping[id(v)] for v in player.trainable_variables]
        with tf.GradientTape() as tape:
            tape.watch(values)
            with StatelessScope(state_mapping=list(at)):
                loss, extras = self.player_loss(player, data)
        return loss, extras, tape.gradient(loss, values)

    def apply(self, player, grads, loss=None, extras=None):
        """Applies `grads` with the player's optimizer and, when given, logs
        the player's `loss` and `extras`.

        An update whose loss or gradients are not finite is not applied: on
        one device the player's weights and optimizer state are put back as
        they were before it; across replicas its gradients are zeroed (the
        decision is the same on every replica). The NaN is still logged, so
        `fit` stops at that batch (`NonFiniteLossStop`)."""
        optimizer = self.optimizer_for(player)
        variables = player.trainable_variables
        finite = _all_finite(grads, loss)
        grads = [None if g is None else tf.where(finite, g, tf.zeros_like(g)) for g in grads]
        one_device = tf.distribute.get_replica_context() is None or \
            tf.distribute.get_replica_context().num_replicas_in_sync == 1
        state = list(variables) + list(optimizer.variables) if one_device else []
        saved = [tf.identity(v) for v in state]
        optimizer.apply_gradients(zip(grads, variables))
        for variable, before in zip(state, saved):
            variable.assign(tf.where(finite, variable, before))
        if loss is not None:
            self._record(player, loss, extras or {})

    def take_step(self, player, data):
        """One gradient step of `player` on its own loss."""
        loss, extras, grads = self.gradients(player, data)
        self.apply(player, grads, loss, extras)

    def prepare_batch(self, data):
        """Validates/unpacks a batch before play; families override this."""
        return data

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`, after checking array inputs (no empty arrays, no
        NaN/inf, images in the model's range); afterwards, players whose
        optimizer keeps an exponential moving average of weights
        (`use_ema=True`, e.g. a generator EMA) get the averaged weights, as
        Keras does for single-optimizer models."""
        check_fit_arrays(self, x, f"{type(self).__name__}.fit")
        guard = NonFiniteLossStop()
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), guard]
        history = super().fit(x, *args, **kwargs)
        handled = getattr(self, "_advzoo_diverged", False)  # a DivergenceGuard restored a checkpoint
        if guard.stopped_at is not None and not handled:
            raise fit_stopped_error(self, *guard.stopped_at)
        self.finalize_averages()
        return history

    def finalize_averages(self):
        """Gives every player whose optimizer keeps a moving average of its
        weights (`use_ema=True`) those averaged weights (what `fit` does when it
        ends; a finished run restored from its last checkpoint needs it too)."""
        for player in self.players():
            optimizer = self.optimizer_for(player)
            if getattr(optimizer, "use_ema", False):
                optimizer.finalize_variable_values(player.trainable_variables)

    def train_step(self, data):
        if not getattr(self, "_trackers", None):
            raise RuntimeError(f"Call {type(self).__name__}.compile(...) before training.")
        self.update_rule.play(self, self.inner_maximization(self.prepare_batch(data)))
        return {m.name: m.result() for m in self.metrics}

    def inner_maximization(self, data):
        """Runs once per training step, after `prepare_batch` and before the
        players move: games whose players answer an inner adversary (e.g. PGD
        adversarial examples for robust training) compute it here, outside
        the players' gradient tapes. Returns the batch the players see;
        the default returns `data` unchanged."""
        return data

    def test_step(self, data):
        data = self.prepare_batch(data)
        logged = set()
        for player in self.players():
            loss, extras = self.player_loss(player, data, training=False)
            self._record(player, loss, extras)
            logged.update((f"{player.name}_loss", *extras))
        # only what these batches measure (e.g. no pair distance without pairs),
        # rather than an empty tracker's 0
        return {m.name: m.result() for m in self.metrics if m.name in logged}
