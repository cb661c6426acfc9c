"""Two-player (and n-player) games on Keras models."""

from advzoo.games.base import AdversarialGame, Player
from advzoo.games.rules import UPDATE_RULES, Alternating, Simultaneous, UpdateRule, get_update_rule

__all__ = ["AdversarialGame", "Player", "UPDATE_RULES", "Alternating", "Simultaneous",
           "UpdateRule", "get_update_rule"]
