"""Update rules: *how* the players of a game move.

A rule is a small object with

* `check(game, optimizers)`: called by `compile()` before anything is built,
  so that a rule a model cannot use fails early with a clear message;
* `build(game)`: creates the rule's own state (in the model's distribution
  scope), e.g. the previous gradients of optimistic play;
* `play(game, batch)`: runs inside the compiled `train_step`.

Under `tf.distribute`, the gradients a player computes on one replica are
*local* (their sum over replicas is the global-batch gradient, because losses
are replica-scaled). Optimizers sum them again when applying. Rules that look
at gradients themselves (extrapolation, optimism, consensus) therefore
all-reduce where they need the global vector and hand optimizers local
contributions, so that every rule gives the same update on one device and on
many.
"""

import keras
import tensorflow as tf


def _replica_count():
    return tf.distribute.get_strategy().num_replicas_in_sync


def _all_reduce_sum(tensors):
    """Sums tensors over replicas with ONE collective (a flat concatenation):
    several independent collectives may be started in different orders on
    different replicas, which TensorFlow rejects."""
    tensors = list(tensors)
    ctx = tf.distribute.get_replica_context()
    if ctx is None or _replica_count() == 1:
        return tensors
    flat = tf.concat([tf.reshape(tf.convert_to_tensor(t), [-1]) for t in tensors], 0)
    flat = ctx.all_reduce(tf.distribute.ReduceOp.SUM, flat)
    sizes = [tf.size(t) for t in tensors]
    return [tf.reshape(part, tf.shape(t)) for part, t in zip(tf.split(flat, tf.stack(sizes)), tensors)]


def _all_reduce_per_player(grads_by_player):
    """`_all_reduce_sum` of a list of per-player gradient lists, in one collective."""
    flat = _all_reduce_sum([g for grads in grads_by_player for g in grads])
    out, start = [], 0
    for grads in grads_by_player:
        out.append(flat[start:start + len(grads)])
        start += len(grads)
    return out


def _previous_gradients(game):
    """One zero-initialised state variable per trainable variable, per player."""
    return {p.name: [keras.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                                    aggregation="only_first_replica",
                                    name=f"past_grad_{p.name}_{i}")
                     for i, v in enumerate(p.trainable_variables)]
            for p in game.players()}


def _to_local(global_grads):
    n = _replica_count()
    return [g / n for g in global_grads] if n > 1 else list(global_grads)


def _learning_rate(optimizer):
    lr = optimizer.learning_rate
    return tf.cast(lr() if callable(lr) else lr, "float32")


def _assign(pairs):
    """Assigns `(variable, value)` pairs, from a replica or cross-replica context."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or _replica_count() == 1:
        for v, value in pairs:
            v.assign(value)
        return

    def merge_fn(strategy, values):
        for (v, _), value in zip(pairs, values):
            strategy.extended.update(_tf_var(v), lambda var, x: var.assign(x), args=(value,))

    ctx.merge_call(merge_fn, args=([value for _, value in pairs],))


def _tf_var(v):
    return v if isinstance(v, tf.Variable) else getattr(v, "_value", v)


class UpdateRule:
    """Base class of update rules (see the module docstring)."""

    name = None

    def check(self, game, optimizers):
        """Raises `ValueError` at compile time if `game` cannot use this rule."""

    def build(self, game):
        """Creates the rule's state variables (called once by `compile()`)."""

    def play(self, game, data):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Alternating(UpdateRule):
    """Players move in turn, each taking `steps` gradient steps (e.g. n_critic
    discriminator steps, then one generator step), each seeing the previous
    players' updated parameters (Goodfellow et al. 2014).

    Args:
        split_batches: split each batch into as many chunks as the most steps
            any player takes, so that each of a player's steps sees fresh data
            (as in the WGAN papers, where every critic step draws a new batch);
            the batch size must then be divisible by that number. Otherwise all
            steps reuse the whole batch.
    """

    name = "alternating"

    def __init__(self, split_batches=False):
        self.split_batches = bool(split_batches)

    def play(self, game, data):
        players = game.players()
        chunks = None
        if self.split_batches:
            k = max(game.steps_for(p) for p in players)
            chunks = _split_batch(data, k) if k > 1 else None
        for player in players:
            for i in range(game.steps_for(player)):
                game.take_step(player, data if chunks is None else chunks[i])

    def get_config(self):
        return {"split_batches": self.split_batches}


def _split_batch(data, k):
    flat = tf.nest.flatten(data)
    size = flat[0].shape[0]
    if size is None or size % k:
        raise ValueError(f"split_batches needs a static batch size divisible by {k} (the most "
                         f"steps any player takes), got {size}. Use a batch size like {64 * k} "
                         "with drop_remainder=True (advzoo.data.make_dataset does this).")
    parts = [tf.split(t, k) for t in flat]
    return [tf.nest.pack_sequence_as(data, [p[i] for p in parts]) for i in range(k)]


class Simultaneous(UpdateRule):
    """Every player computes its gradient at the same point, then all move.
    (What a gradient-reversal layer does in one backward pass.)"""

    name = "simultaneous"

    def play(self, game, data):
        players = game.players()
        results = [game.gradients(p, data) for p in players]
        for player, (loss, extras, grads) in zip(players, results):
            game.apply(player, grads, loss, extras)


class Joint(UpdateRule):
    """Simultaneous play in ONE backward pass, for games that define
    `joint_loss(data) -> (total, {player: (loss, extras)})` such that the
    gradient of `total` w.r.t. each player's variables is that player's own
    gradient -- which is what a gradient-reversal layer arranges (DANN). Same
    updates as `simultaneous`, at the cost of one forward/backward pass."""

    name = "joint"

    def check(self, game, optimizers):
        if not callable(getattr(game, "joint_loss", None)) or not getattr(
                game, "supports_joint", True):
            raise ValueError(
                f"The 'joint' update rule needs a model that defines joint_loss(data) (one "
                f"loss whose gradient is every player's own, e.g. through a gradient-reversal "
                f"layer); {type(game).__name__} does not. Use 'simultaneous' for the same "
                "updates with one backward pass per player.")

    def play(self, game, data):
        players = game.players()
        variables = _joint_variables(game)
        with tf.GradientTape() as tape:
            total, per_player = game.joint_loss(data)
        grads = tape.gradient(total, variables)
        start = 0
        for player in players:
            n = len(player.trainable_variables)
            loss, extras = per_player[player.name]
            game.apply(player, grads[start:start + n], loss, extras)
            start += n


def _joint_variables(game):
    return [v for p in game.players() for v in p.trainable_variables]


class Extragradient(UpdateRule):
    """Extragradient (Korpelevich 1976; Gidel et al. 2019, "A Variational
    Inequality Perspective on GANs"): every player first extrapolates with a
    plain gradient step of its optimizer's learning rate (times
    `extrapolation_scale`), the gradients are re-evaluated at that look-ahead
    point, and those gradients are applied from the *original* point by each
    player's optimizer. Two gradient evaluations per step. The extrapolated
    point is never written to the variables: gradients are taken there with a
    stateless scope, so nothing (batch-norm statistics included) leaks."""

    name = "extragradient"

    def __init__(self, extrapolation_scale=1.0):
        self.extrapolation_scale = float(extrapolation_scale)

    def check(self, game, optimizers):
        for name, opt in optimizers.items():
            if not hasattr(opt, "learning_rate"):
                raise ValueError(f"{self.name} extrapolates with each optimizer's learning "
                                 f"rate; the optimizer of {name!r} has none.")

    def _extrapolate(self, game, grads_by_player):
        at = []
        for player, grads in zip(game.players(), grads_by_player):
            lr = _learning_rate(game.optimizer_for(player)) * self.extrapolation_scale
            for v, g in zip(player.trainable_variables, grads):
                at.append((v, v.value - lr * tf.cast(g, v.dtype)))
        return at

    def play(self, game, data):
        players = game.players()
        local = [game.gradients(p, data)[2] for p in players]
        first = _all_reduce_per_player(local)
        at = self._extrapolate(game, first)
        for player in players:
            loss, extras, grads = game.gradients(player, data, at=at)
            game.apply(player, grads, loss, extras)

    def get_config(self):
        return {"extrapolation_scale": self.extrapolation_scale}


class PastExtragradient(Extragradient):
    """Extrapolation from the past (Popov 1980; Gidel et al. 2019): extrapolate
    with the gradient computed at the *previous* look-ahead point, so each step
    needs one gradient evaluation instead of two."""

    name = "past_extragradient"

    def build(self, game):
        self._previous = _previous_gradients(game)

    def play(self, game, data):
        players = game.players()
        at = self._extrapolate(game, [[s.value for s in self._previous[p.name]] for p in players])
        states, grads_all = [], []
        for player in players:
            loss, extras, grads = game.gradients(player, data, at=at)
            game.apply(player, grads, loss, extras)
            states += self._previous[player.name]
            grads_all += grads
        _assign(list(zip(states, _all_reduce_sum(grads_all))))


class Optimistic(UpdateRule):
    """Optimistic gradient descent (Daskalakis et al. 2018): each player's
    optimizer receives `2 g_t - g_{t-1}`, i.e. it corrects for where the
    opponent is heading. With `SGD` this is optimistic mirror descent; for
    optimistic Adam use `advzoo.games.OptimisticAdam` with any rule."""

    name = "optimistic"

    def build(self, game):
        self._previous = _previous_gradients(game)

    def play(self, game, data):
        players = game.players()
        results = [game.gradients(p, data) for p in players]
        totals = _all_reduce_per_player([r[2] for r in results])
        updates = []
        for player, (loss, extras, grads), total in zip(players, results, totals):
            previous = [s.value for s in self._previous[player.name]]
            optimistic = _to_local([2.0 * g - p for g, p in zip(total, previous)])
            game.apply(player, optimistic, loss, extras)
            updates += zip(self._previous[player.name], total)
        _assign(updates)


class Consensus(UpdateRule):
    """Consensus optimization (Mescheder et al. 2017): every player descends
    its own gradient plus `gamma * grad(1/2 ||v||^2)`, where `v` is the joint
    vector field of all players' gradients. The extra term, `J^T v`, is a
    Hessian-vector product (one extra backward pass); it damps the rotational
    part of the dynamics that makes plain gradient play orbit."""

    name = "consensus"

    def __init__(self, gamma=1.0):
        self.gamma = float(gamma)

    def play(self, game, data):
        players = game.players()
        variables = _joint_variables(game)
        with tf.GradientTape() as outer:
            results = []
            for p in players:
                with tf.GradientTape() as inner:
                    loss, extras = game.player_loss(p, data)
                results.append((loss, extras, inner.gradient(loss, p.trainable_variables)))
            local_v = [g for _, _, grads in results for g in grads]
        global_v = [tf.stop_gradient(g) for g in _all_reduce_sum(local_v)]
        # sum_r J_r^T v_global = J^T v: local contributions that optimizers sum up.
        jtv = outer.gradient(local_v, variables, output_gradients=global_v)
        offset = 0
        for player, (loss, extras, grads) in zip(players, results):
            n = len(grads)
            reg = jtv[offset:offset + n]
            offset += n
            game.apply(player, [g + self.gamma * (r if r is not None else tf.zeros_like(g))
                                for g, r in zip(grads, reg)], loss, extras)

    def get_config(self):
        return {"gamma": self.gamma}


class Lookahead(UpdateRule):
    """LookAhead-minmax (Chavdarova et al. 2021): `k` fast steps of an inner
    rule, then both players' slow weights move a fraction `alpha` towards the
    fast ones, and the fast weights restart from there. The joint averaging
    cancels much of the rotation of the game dynamics.

    Args:
        inner: name or instance of the rule that makes the fast steps.
        k: fast steps per slow update.
        alpha: slow-weights step size in (0, 1].
    """

    name = "lookahead"

    def __init__(self, inner="alternating", k=5, alpha=0.5):
        if isinstance(inner, dict):
            inner = deserialize_rule(inner)
        self.inner = get_update_rule(inner)
        if isinstance(self.inner, Lookahead):
            raise ValueError("lookahead cannot wrap another lookahead rule.")
        if int(k) < 1 or not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"lookahead needs k >= 1 and 0 < alpha <= 1, got k={k}, alpha={alpha}.")
        self.k, self.alpha = int(k), float(alpha)

    def check(self, game, optimizers):
        self.inner.check(game, optimizers)

    def build(self, game):
        self.inner.build(game)
        self._vars = _joint_variables(game)
        self._slow = [keras.Variable(keras.ops.convert_to_numpy(v), trainable=False, aggregation="only_first_replica",
                                     name=f"lookahead_slow_{i}") for i, v in enumerate(self._vars)]
        self._count = keras.Variable(0, dtype="int64", trainable=False,
                                     aggregation="only_first_replica", name="lookahead_count")

    def play(self, game, data):
        self.inner.play(game, data)
        count = self._count.value + 1
        sync = count >= self.k  # branch-free, so it also works inside replica contexts
        new_slow = [tf.where(sync, s.value + self.alpha * (v.value - s.value), s.value)
                    for s, v in zip(self._slow, self._vars)]
        new_fast = [tf.where(sync, n, v.value) for n, v in zip(new_slow, self._vars)]
        _assign(list(zip(self._slow, new_slow)) + list(zip(self._vars, new_fast))
                + [(self._count, tf.where(sync, tf.zeros_like(count), count))])

    def get_config(self):
        return {"inner": serialize_rule(self.inner), "k": self.k, "alpha": self.alpha}


UPDATE_RULES = {cls.name: cls for cls in (Alternating, Simultaneous, Joint, Extragradient,
                                          PastExtragradient, Optimistic, Consensus, Lookahead)}


def serialize_rule(rule):
    return {"name": rule.name, "config": rule.get_config()}


def deserialize_rule(config):
    return UPDATE_RULES[config["name"]].from_config(config["config"])


def get_update_rule(identifier):
    """Resolves a rule name, `{"name":..., "config":...}` dict or instance;
    unknown names list the available ones."""
    if isinstance(identifier, UpdateRule):
        return identifier
    if isinstance(identifier, dict) and identifier.get("name") in UPDATE_RULES:
        return deserialize_rule({"config": {}, **identifier})
    if isinstance(identifier, str) and identifier in UPDATE_RULES:
        return UPDATE_RULES[identifier]()
    raise ValueError(
        f"Unknown update rule {identifier!r}. Available: {sorted(UPDATE_RULES)}."
    )
