"""Update rules: *how* the players of a game take turns.

A rule is a small object with `play(game, batch)`, called inside the compiled
`train_step`, and `check(game)`, called at `compile()` time so that a rule a
model cannot use fails early with a clear message.
"""


class UpdateRule:
    """Base class of update rules."""

    name = None

    def check(self, game):
        """Raises `ValueError` at compile time if `game` cannot use this rule."""

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
    players' updated parameters (Goodfellow et al. 2014)."""

    name = "alternating"

    def play(self, game, data):
        for player in game.players():
            for _ in range(game.steps_for(player)):
                game.take_step(player, data)


class Simultaneous(UpdateRule):
    """Every player computes its gradient at the same point, then all move.
    (What a gradient-reversal layer does in one backward pass.)"""

    name = "simultaneous"

    def play(self, game, data):
        players = game.players()
        results = [game.gradients(p, data) for p in players]
        for player, (loss, extras, grads) in zip(players, results):
            game.apply(player, grads)
            game._record(player, loss, extras)


UPDATE_RULES = {cls.name: cls for cls in (Alternating, Simultaneous)}


def get_update_rule(identifier):
    """Resolves a rule name or instance; unknown names list the available ones."""
    if isinstance(identifier, UpdateRule):
        return identifier
    if isinstance(identifier, str) and identifier in UPDATE_RULES:
        return UPDATE_RULES[identifier]()
    raise ValueError(
        f"Unknown update rule {identifier!r}. Available: {sorted(UPDATE_RULES)}."
    )
