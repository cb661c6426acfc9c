"""The only place advzoo touches Keras's private API, and why.

* `scale_loss_for_distribution` / `unscale_loss_for_distribution`: a game
  computes each player's loss itself (outside `compile(loss=...)`), so it
  must apply the same per-replica scaling Keras applies to compiled losses,
  or gradients would be summed N times over N replicas. Keras exposes no
  public hook for this (`keras.losses.Loss` does it internally).
* `StatelessScope` / `get_stateless_scope`: update rules that look ahead
  (extragradient, consensus, virtual adversarial perturbations) evaluate a
  loss at trial weights without writing them into the variables; Keras's
  stateless scope is the supported mechanism inside Keras but not exported.

If Keras moves these, this module is the one file to change.
"""

from keras.src.backend.common.stateless_scope import StatelessScope, get_stateless_scope
from keras.src.losses.loss import scale_loss_for_distribution, unscale_loss_for_distribution

__all__ = ["StatelessScope", "get_stateless_scope", "scale_loss_for_distribution",
           "unscale_loss_for_distribution"]
