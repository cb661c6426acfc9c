"""`ForgettingStudyNet`: advzoo's `DomainAdversarialNet` plus the research-only
options of the forgetting study, as a subclass on the library's extension
points (`classification_loss`, `extra_task_terms`, `_adversary_sees_label`).

The options (none is used by a published preset; the study's rows show none
of them reaching a chance-level MLP probe):

* `pair_weight`: counterfactual pairs -- the embedding of each training
  image is pulled towards that of its other-source twin
  (`relative_pair_distance`); batches carry the twins as a fifth element;
* `label_smoothing`: smoothed classification targets;
* `width_weight`, `width_side`: even the two sources' cluster widths
  (`class_width_gap`, times lambda);
* `condition_adversary`: what the adversary sees, apart from the MMD's
  conditioning (`None`: as `condition_on_label`);
* `input_norm="grey_instance"`: the channels averaged, then standardised
  (colour never reaches the network).
"""

import keras
from keras import layers, ops

from advzoo.compat import scale_loss_for_distribution
from advzoo.models.dann import DomainAdversarialNet
from research.forgetting.forget_terms import (WIDTH_SIDES, ChannelMean, class_width_gap,
                                              relative_pair_distance)


@keras.saving.register_keras_serializable(package="advzoo_research")
class ForgettingStudyNet(DomainAdversarialNet):
    """`DomainAdversarialNet` with the forgetting study's extra options (see
    the module docstring); every other argument is the library's."""

    def __init__(self, pair_weight=0.0, label_smoothing=0.0, width_weight=0.0,
                 width_side="both", condition_adversary=None, input_norm=None, **kwargs):
        # read while the parent builds the adversary head
        self.condition_adversary = None if condition_adversary is None else bool(condition_adversary)
        grey = self._grey = input_norm == "grey_instance"
        super().__init__(input_norm=None if grey else input_norm, **kwargs)
        if condition_adversary is not None and self.adversary not in ("reversal", "confusion"):
            raise ValueError(f"condition_adversary sets what an adversary ('reversal' or "
                             f"'confusion') sees; adversary={self.adversary!r} has none (got "
                             f"condition_adversary={condition_adversary!r}).")
        self.pair_weight = float(pair_weight)
        if self.pair_weight < 0 or (self.pair_weight and self.target_consistency):
            raise ValueError(f"pair_weight must be >= 0 and is for attribute batches, not "
                             f"with target_consistency; got pair_weight={pair_weight}, "
                             f"target_consistency={self.target_consistency}.")
        self.label_smoothing = float(label_smoothing)
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}.")
        self.width_weight = float(width_weight)
        if self.width_weight < 0 or (self.width_weight and self.num_nuisance != 2):
            raise ValueError(f"width_weight must be >= 0 and compares two nuisance groups "
                             f"(num_nuisance=2); got width_weight={width_weight}, "
                             f"num_nuisance={self.num_nuisance}.")
        if width_side not in WIDTH_SIDES:
            raise ValueError(f"width_side must be one of {WIDTH_SIDES}, got {width_side!r}.")
        self.width_side = width_side
        if grey:
            self.input_norm = "grey_instance"
        self.extra_task_metrics = ((("pair_distance",) if self.pair_weight else ())
                                   + (("width_gap",) if self.width_weight else ()))

    def _make_backbone(self):
        if not self._grey:
            return super()._make_backbone()
        # the library's network on one channel, behind channel mean + instance norm
        from advzoo.models.dann.dann_networks import build_backbone

        inner = build_backbone((*self.image_shape[:2], 1), self.width, self.feature_dim, None,
                               self.batch_norm, name="grey_inner")
        return keras.Sequential([
            keras.Input(self.image_shape), ChannelMean(name="grey"),
            layers.GroupNormalization(groups=1, center=False, scale=False, name="instance_norm"),
            *inner.layers], name="backbone")

    @property
    def _adversary_sees_label(self):
        if self.adversary not in ("reversal", "confusion"):
            return False
        override = getattr(self, "condition_adversary", None)
        return self.condition_on_label if override is None else override

    def classification_loss(self, y, probs):
        if not self.label_smoothing:
            return super().classification_loss(y, probs)
        return keras.losses.categorical_crossentropy(ops.one_hot(y, self.num_classes), probs,
                                                     label_smoothing=self.label_smoothing)

    def prepare_batch(self, data):
        if not (isinstance(data, (tuple, list)) and len(data) == 5):
            return super().prepare_batch(data)
        batch = super().prepare_batch(tuple(data[:4]))
        if tuple(data[4].shape[1:]) != tuple(data[0].shape[1:]):
            raise ValueError(f"counterparts have shape (batch, "
                             f"{', '.join(map(str, data[4].shape[1:]))}) but images (batch, "
                             f"{', '.join(map(str, data[0].shape[1:]))}); each is one image's "
                             "twin.")
        return batch + (ops.cast(data[4], batch[0].dtype),)

    def inner_maximization(self, data):
        if self.pair_weight and len(data) < 6:
            raise ValueError("pair_weight > 0 trains on (images, labels, nuisance, weights, "
                             "counterparts) batches; this batch has no counterparts (recipes: "
                             "data.pairs: true).")
        return super().inner_maximization(data)

    def extra_task_terms(self, data, out, training):
        terms = {}
        if self.pair_weight and len(data) > 5:  # counterparts (training batches)
            twin = self.backbone(data[5], training=training)
            pair = scale_loss_for_distribution(relative_pair_distance(out["f"], twin))
            terms["pair_distance"] = (pair, self.pair_weight)
        if self.width_weight:
            width = scale_loss_for_distribution(class_width_gap(
                out["f"], self._label_input(out["y"], out["probs"], out["labelled"]),
                ops.cast(out["a"], out["f"].dtype), side=self.width_side))
            terms["width_gap"] = (width, self.width_weight * self._lambda())
        return terms

    def get_config(self):
        return {**super().get_config(), "condition_adversary": self.condition_adversary,
                "pair_weight": self.pair_weight, "label_smoothing": self.label_smoothing,
                "width_weight": self.width_weight, "width_side": self.width_side,
                "input_norm": self.input_norm}
