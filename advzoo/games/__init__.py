"""Games on Keras models: players declare losses, update rules decide how they move."""

from advzoo.games.base import AdversarialGame, Player
from advzoo.games.diagnostics import OrbitTracker, rotation_ratio
from advzoo.games.optimizers import OptimisticAdam
from advzoo.games.rules import (UPDATE_RULES, Alternating, Consensus, Extragradient, Lookahead,
                                Joint, Optimistic, PastExtragradient, Simultaneous, UpdateRule,
                                get_update_rule)

__all__ = ["AdversarialGame", "Player", "UPDATE_RULES", "Alternating", "Consensus",
           "Extragradient", "Lookahead", "OptimisticAdam", "OrbitTracker", "rotation_ratio",
           "Joint", "Optimistic", "PastExtragradient", "Simultaneous",
           "UpdateRule", "get_update_rule"]
