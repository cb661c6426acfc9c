"""Domain-adversarial classifiers on the game base (DANN, DAN-style MMD,
nuisance forgetting and debiasing)."""

import keras
import numpy as np
from keras import ops
from advzoo.compat import scale_loss_for_distribution

from advzoo.games import AdversarialGame, Player
from advzoo.layers import GradientReversal
from advzoo.utils.inputs import model_images
from advzoo.models.dann.dann_augment import (AUGMENTATIONS, consistency_loss, intensity_augment,
                                              teacher_predictions, virtual_adversarial_loss)
from advzoo.models.dann.dann_batches import DomainBatches
from advzoo.models.dann.dann_networks import build_backbone, build_head
from advzoo.distribute import replica_sum
from advzoo.models.dann.dann_schedules import MMD_BANDWIDTHS, group_mk_mmd

ADVERSARIES = ("reversal", "confusion", "mmd", "none")


@keras.saving.register_keras_serializable(package="advzoo")
class DomainAdversarialNet(DomainBatches, AdversarialGame):
    """A classifier whose features are kept from revealing a nuisance attribute.

    Two players: the **task** player (feature extractor + label head) minimises
    `CE(labels) - lambda * A`, the **adversary** (a head on the features)
    minimises `A`, its cross-entropy at predicting the nuisance (the domain, the
    image source, a colour). Gradient reversal is the `joint` update rule: one
    backward pass of `CE + A(GradientReversal(features))` gives both players
    their simultaneous-play gradients; every other rule of `advzoo.games`
    (alternating, extragradient, ...) plays the same explicit game.

    Batches:
        * `((source_images, source_labels), target_images)`: domain
          adaptation; target images are unlabelled, the nuisance is the domain.
          `((source_images, source_labels), (target_images, target_labels))`
          adds the target labels that are known (a few labelled target
          images, or pseudo-labels), -1 where not: known ones join the
          classification loss.
        * `(images, labels, nuisance)`: every image labelled, with an integer
          nuisance attribute in `[0, num_nuisance)`; optionally
          `(images, labels, nuisance, weights)` with per-example weights of the
          adversary's loss (see `nuisance_balancing_weights`).
        * `(images, labels)`: only for `adversary="none"` (plain training).

    Args:
        num_classes: number of classes.
        num_nuisance: number of nuisance values (2 for source vs target).
        image_shape: `(height, width, channels)`.
        width: filters of the first conv block.
        feature_dim: size of the embedding returned by `features()`.
        hidden: width of the heads' hidden layers.
        adversary: `"reversal"` (an adversarial head whose loss the features
            maximise: DANN), `"confusion"` (the same head, but the features
            minimise the cross-entropy between its prediction and the uniform
            distribution: they must make it *unsure*, not wrong; Tzeng et al.
            2015), `"mmd"` (multi-kernel MMD between nuisance groups 0 and 1,
            no adversary: DAN) or `"none"`.
        condition_on_label: give the adversary the true label as well, so it
            removes only what the features say about the nuisance *beyond* the
            class (needed when nuisance and class are correlated). With
            `adversary="mmd"`: match the joint distributions of features and
            labels (class-conditional MMD, JAN-style). In adaptation batches,
            where the target has no labels, both domains are conditioned on the
            classifier's predictions, held fixed (CDAN/JAN-style).
        mmd_bandwidth: `adversary="mmd"` only: `"pooled"` (DAN: the kernels'
            scale is the batch's mean pairwise distance) or `"label_weighted"`
            (with `condition_on_label`: the mean distance of the pairs the
            class-conditional MMD compares, i.e. within a class; see
            `group_mk_mmd`).
        lambda_: initial adversary weight (see `GradientReversalSchedule`).
        input_norm: `None` or `"instance"` (per-image, per-channel
            standardisation before the first convolution).
        batch_norm: batch normalisation in the feature extractor (statistics
            over source and target images together in adaptation batches).
        target_entropy: weight of the mean prediction entropy on *unlabelled
            target* images, added to the task player's loss (conditional
            entropy minimisation, as in VADA, Shu et al. 2018): target features
            are pushed away from the classifier's decision boundaries, which
            aligning the marginals alone does not do. Only adaptation batches
            have target images; 0 disables it.
        target_diversity: weight of the entropy of the *mean* target prediction,
            subtracted from the task player's loss (information maximisation,
            as in SHOT, Liang et al. 2020): keeps entropy minimisation from
            collapsing the target onto a few classes. Computed over the global
            batch (all replicas).
        augment: `None` or `"intensity"`: during training only, every image of
            every batch (both domains) gets random per-channel intensity
            flips, gains, offsets and pixel noise (`intensity_augment`;
            the generic small-image augmentations of self-ensembling domain
            adaptation, French et al. 2018). Inference is unchanged.
        target_vat: weight of the virtual adversarial training term
            (`virtual_adversarial_loss`) on *unlabelled target* images, added
            to the task player's loss: the classifier is kept locally smooth
            where the target lies (VADA, Shu et al. 2018). Costs two extra
            forward and one extra backward pass per step; 0 disables it.
        vat_radius: L2 norm of VAT's perturbation per image (in the model's
            input space, images in [-1, 1]).
        target_consistency: weight of the mean-teacher consistency on
            *unlabelled target* images (self-ensembling, French et al. 2018),
            added to the task player's loss: the squared difference between
            the network's prediction for one augmentation of an image and the
            *teacher's* for another, where the teacher is the moving average
            of the network's weights (`teacher_predictions`; compile the
            task optimizer with `use_ema=True`, whose average also becomes
            the final weights when `fit` ends) and only where the teacher
            is confident. Use with `augment`; 0 disables it.
        consistency_threshold: the teacher's confidence (max probability)
            above which an image counts in the consistency term.
        mmd_weight: `adversary="reversal"` or `"confusion"` only: the task
            player also minimises `mmd_weight * lambda * MMD`, the multi-kernel
            MMD between nuisance groups 0 and 1 (class-conditional with
            `condition_on_label`) -- the MMD aligns the bulk of the two
            distributions without a saddle point, the adversary (a learned,
            non-linear critic) chases what the fixed kernels miss. Both
            follow the same `lambda` schedule; 0 disables it.

    Example:
    >>> model = advzoo.load("dann_fashion_mnist_m")
    >>> probs = model.predict(advzoo.data.to_float(target_images))
    >>> emb = model.features(advzoo.data.to_float(target_images))

    Reference:
        Ganin et al. Domain-Adversarial Training of Neural Networks. JMLR 2016.
    """

    def __init__(self, num_classes=10, num_nuisance=2, image_shape=(28, 28, 3), width=32,
                 feature_dim=128, hidden=100, adversary="reversal", condition_on_label=False,
                 lambda_=1.0, input_norm=None, batch_norm=False, target_entropy=0.0, target_diversity=0.0,
                 augment=None, target_vat=0.0, vat_radius=2.0, mmd_bandwidth="pooled",
                 target_consistency=0.0, consistency_threshold=0.9, mmd_weight=0.0, **kwargs):
        super().__init__(**kwargs)
        if adversary not in ADVERSARIES:
            raise ValueError(f"adversary must be one of {ADVERSARIES}, got {adversary!r}.")
        if adversary == "mmd" and int(num_nuisance) != 2:
            raise ValueError(f"adversary='mmd' matches the features of two groups (nuisance 0 "
                             f"and 1); num_nuisance must be 2, got {num_nuisance}.")
        if mmd_bandwidth not in MMD_BANDWIDTHS:
            raise ValueError(f"mmd_bandwidth must be one of {MMD_BANDWIDTHS}, "
                             f"got {mmd_bandwidth!r}.")
        self.mmd_bandwidth = mmd_bandwidth
        self.mmd_weight = float(mmd_weight)
        if self.mmd_weight < 0:
            raise ValueError(f"mmd_weight must be >= 0, got {mmd_weight}.")
        if self.mmd_weight and adversary not in ("reversal", "confusion"):
            raise ValueError(f"mmd_weight adds an MMD term next to an adversary ('reversal' or "
                             f"'confusion'); with adversary={adversary!r} use "
                             f"{'the lambda schedule' if adversary == 'mmd' else 'adversary=mmd'} "
                             f"instead (got mmd_weight={mmd_weight}).")
        if self.mmd_weight and int(num_nuisance) != 2:
            raise ValueError(f"mmd_weight matches the features of two groups (nuisance 0 and 1); "
                             f"num_nuisance must be 2, got {num_nuisance}.")
        self.num_classes = int(num_classes)
        self.num_nuisance = int(num_nuisance)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.width, self.feature_dim, self.hidden = int(width), int(feature_dim), int(hidden)
        self.adversary = adversary
        self.condition_on_label = bool(condition_on_label)
        self.input_norm, self.batch_norm = input_norm, bool(batch_norm)
        self.target_entropy, self.target_diversity = float(target_entropy), float(target_diversity)
        if augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {augment!r}.")
        self.augment = augment
        self.target_vat, self.vat_radius = float(target_vat), float(vat_radius)
        if self.target_vat < 0 or self.vat_radius <= 0:
            raise ValueError(f"target_vat must be >= 0 and vat_radius > 0, got {target_vat} "
                             f"and {vat_radius}.")
        self.target_consistency = float(target_consistency)
        self.consistency_threshold = float(consistency_threshold)
        if self.target_consistency < 0 or not 0.0 <= self.consistency_threshold < 1.0:
            raise ValueError(f"target_consistency must be >= 0 and consistency_threshold in "
                             f"[0, 1), got {target_consistency} and {consistency_threshold}.")
        # only when used: a seed generator's state would change the saved weights' layout
        self.augment_seed = (keras.random.SeedGenerator()
                             if augment or self.target_vat else None)
        for name in ("target_entropy", "target_diversity"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}.")
        self.backbone = self._make_backbone()
        self.classifier = build_head(self.feature_dim, self.num_classes, self.hidden,
                                     activation="softmax", name="classifier")
        adv_in = self.feature_dim + (self.num_classes if self._adversary_sees_label else 0)
        self.adversary_head = build_head(adv_in, self.num_nuisance, self.hidden, depth=2,
                                         name="adversary_head")
        self.reversal = GradientReversal(lambda_, name="reversal")
        # built now (it has no shape-dependent weights): under a distribution
        # strategy Keras builds unbuilt models symbolically from the first
        # batch, which only understands (x, y, sample_weight) batches
        self.reversal.build((None, self.feature_dim))
        self.built = True

    @property
    def _adversary_sees_label(self):
        return self.adversary in ("reversal", "confusion") and self.condition_on_label

    # ------------------------------------------------------------ extension points
    def _make_backbone(self):
        """The feature extractor (overridable; called once, in `__init__`)."""
        return build_backbone(self.image_shape, self.width, self.feature_dim, self.input_norm,
                              self.batch_norm)

    # A subclass may add terms to the task player's objective (research/ does,
    # for the forgetting study's pair and width terms) without touching the game.
    extra_task_metrics = ()

    def classification_loss(self, y, probs):
        """Per-example classification loss of integer labels `y` (overridable)."""
        return keras.losses.sparse_categorical_crossentropy(y, probs)

    def extra_task_terms(self, data, out, training):
        """`{metric name: (replica-scaled loss, coefficient)}` added to the task
        player's own terms as `coefficient * loss` and logged by name. `out`
        holds the forward pass: `f`, `probs`, `y`, `a`, `labelled`."""
        return {}

    # ------------------------------------------------------------ inference
    def call(self, x, training=False):
        return self.classifier(self.backbone(x, training=training), training=training)

    # inputs are standardised per image (input_norm) or by batch norm: shifted
    # images are fine, 0-255 images are not
    input_tolerance = 2.0

    def features(self, x, batch_size=512):
        """The embedding of float images in [-1, 1], as numpy."""
        x = model_images(self, x, "features")
        return np.asarray(self.backbone.predict(x, batch_size=batch_size, verbose=0))

    def predict(self, x, *args, **kwargs):
        """Class probabilities of float images in [-1, 1] (`keras.Model.predict`,
        with the same input checks as `features`)."""
        return super().predict(model_images(self, x, "predict"), *args, **kwargs)

    def predict_nuisance(self, x, labels=None, batch_size=512):
        """The adversary's nuisance probabilities for float images (and labels,
        for a label-conditioned adversary: integer labels, or class
        probabilities such as `model.predict(x)` for unlabelled images), as numpy."""
        if self.adversary not in ("reversal", "confusion"):
            raise ValueError(f"adversary={self.adversary!r} trains no nuisance classifier; "
                             "probe the features instead (advzoo.metrics.probes).")
        f = self.features(x, batch_size)
        if self._adversary_sees_label:
            if labels is None:
                raise ValueError("This adversary is conditioned on the label: pass labels=.")
            labels = np.asarray(labels)
            q = (labels.astype("float32") if labels.ndim == 2
                 else np.eye(self.num_classes, dtype="float32")[labels])
            f = np.concatenate([f, q], -1)
        logits = self.adversary_head.predict(f, batch_size=batch_size, verbose=0)
        return np.asarray(ops.convert_to_numpy(ops.softmax(logits)))

    # ------------------------------------------------------------ the game
    def players(self):
        task = Player("task", [self.backbone, self.classifier], self.task_loss,
                      metrics=("classification_loss", "accuracy") + tuple(self.extra_task_metrics))
        if self.adversary not in ("reversal", "confusion"):
            return [task]
        return [task, Player("adversary", [self.adversary_head], self.adversary_loss,
                             metrics=("adversary_accuracy",))]

    def _forward(self, data, training, reversed_features=False, task_terms=True):
        x, y, a, labelled, weights = data[:5]
        f = self.backbone(x, training=training)
        probs = self.classifier(f, training=training)
        ce = self.classification_loss(y, probs)
        n = ops.maximum(ops.sum(labelled), 1.0)
        ce = scale_loss_for_distribution(ops.sum(ce * labelled) / n)
        acc = ops.sum(ops.cast(ops.argmax(probs, -1) == y, "float32") * labelled) / n
        out = {"f": f, "ce": ce, "acc": acc, "probs": probs, "y": y, "a": a,
               "labelled": labelled}
        if task_terms and (self.target_entropy or self.target_diversity):
            out["target_terms"] = self._target_information(probs, 1.0 - labelled)
        if task_terms and self.target_vat and training:
            vat = virtual_adversarial_loss(lambda z: self.call(z, training=True), x, probs,
                                           1.0 - labelled, self.augment_seed, self.vat_radius)
            out["target_terms"] = (out.get("target_terms", 0.0)
                                + self.target_vat * scale_loss_for_distribution(vat))
        if task_terms and self.target_consistency and len(data) > 5:  # the teacher's, training
            consistency = consistency_loss(probs, data[5], 1.0 - labelled,
                                           self.consistency_threshold)
            out["target_terms"] = (out.get("target_terms", 0.0) + self.target_consistency
                                   * scale_loss_for_distribution(consistency))
        if task_terms:
            out["extra"] = self.extra_task_terms(data, out, training)
        if self.adversary in ("reversal", "confusion"):
            g = self.reversal(f) if reversed_features else f
            if self._adversary_sees_label:
                g = ops.concatenate([g, self._label_input(y, probs, labelled)], -1)
            logits = self.adversary_head(g, training=training)
            adv_ce = keras.losses.sparse_categorical_crossentropy(a, logits, from_logits=True)
            out["adv"] = scale_loss_for_distribution(
                ops.sum(adv_ce * weights) / ops.maximum(ops.sum(weights), 1e-6))
            out["adv_acc"] = ops.mean(ops.cast(ops.argmax(logits, -1) == a, "float32"))
            # cross-entropy between the uniform distribution and the adversary's prediction
            out["confusion"] = self.replica_mean(
                -ops.mean(ops.log_softmax(logits, axis=-1), axis=-1))
            if task_terms and self.mmd_weight:
                labels = self._label_input(y, probs, labelled) if self.condition_on_label else None
                out["mmd"] = scale_loss_for_distribution(self._group_mmd(f, a, weights, labels))
        elif self.adversary == "mmd":
            labels = self._label_input(y, probs, labelled) if self.condition_on_label else None
            out["adv"] = scale_loss_for_distribution(self._group_mmd(f, a, weights, labels))
        return out

    def _label_input(self, y, probs, labelled):
        """What a label-conditioned objective sees as the label: the one-hot
        labels when every example of the batch is labelled (attribute batches),
        otherwise the classifier's predictions for *every* example, held fixed
        (adaptation batches: CDAN/JAN-style; true labels on the source only would
        tell the domains apart by their sharpness)."""
        all_labelled = ops.cast(ops.min(labelled) > 0.5, "float32")
        return (all_labelled * ops.one_hot(y, self.num_classes)
                + (1.0 - all_labelled) * ops.stop_gradient(probs))

    def _target_information(self, probs, unlabelled):
        """`target_entropy * mean H(p) - target_diversity * H(mean p)` over the
        unlabelled examples, replica-scaled (0 when a batch has none)."""
        log_p = ops.log(ops.clip(probs, 1e-7, 1.0))
        n_local = ops.sum(unlabelled)
        entropy = -ops.sum(ops.sum(probs * log_p, -1) * unlabelled) / ops.maximum(n_local, 1.0)
        loss = self.target_entropy * scale_loss_for_distribution(entropy)
        if self.target_diversity:
            # H of the global-batch mean prediction: sum over replicas before the log
            # (the all-reduce is differentiable), so mirrored training matches one device.
            totals = replica_sum(ops.concatenate(
                [ops.sum(probs * unlabelled[:, None], 0), ops.reshape(n_local, (1,))], 0))
            mean_p = totals[:-1] / ops.maximum(totals[-1], 1.0)
            diversity = -ops.sum(mean_p * ops.log(ops.clip(mean_p, 1e-7, 1.0)))
            loss = loss - self.target_diversity * scale_loss_for_distribution(diversity)
        return loss

    def _group_mmd(self, f, a, weights, labels=None):
        # Between nuisance groups 0 and 1 (source and target in adaptation batches),
        # each example weighted by its adversary weight. Under a distribution
        # strategy each replica estimates it on its own share of the batch (an
        # MMD is not a sum over examples), as data-parallel DAN does.
        a = ops.cast(a, "float32")
        return group_mk_mmd(f, weights * (1.0 - a), weights * a, labels=labels,
                            bandwidth=self.mmd_bandwidth)

    def _lambda(self):
        return ops.convert_to_tensor(self.reversal.strength)

    def _own_terms(self, out):
        """The task player's terms of its own: classification, target terms and,
        next to an adversary, the weighted MMD."""
        own = out["ce"] + out.get("target_terms", 0.0)
        if "mmd" in out:
            own = own + self.mmd_weight * self._lambda() * out["mmd"]
        for loss, coefficient in out.get("extra", {}).values():
            own = own + coefficient * loss
        return own

    def _task_extras(self, out):
        extras = {"classification_loss": _unscaled(out["ce"]), "accuracy": out["acc"]}
        for name, (loss, _) in out.get("extra", {}).items():
            extras[name] = _unscaled(loss)
        return extras

    def task_loss(self, data, training=True):
        out = self._forward(data, training)
        loss = self._own_terms(out)
        if self.adversary == "reversal":
            loss = loss - self._lambda() * out["adv"]
        elif self.adversary == "confusion":
            loss = loss + self._lambda() * out["confusion"]
        elif self.adversary == "mmd":
            loss = loss + self._lambda() * out["adv"]
        return loss, self._task_extras(out)

    def adversary_loss(self, data, training=True):
        out = self._forward(data, training, task_terms=False)
        return out["adv"], {"adversary_accuracy": out["adv_acc"]}

    @property
    def supports_joint(self):
        """Whether `joint_loss` exists for this model: a confusion objective is
        not a reversed gradient, so it has no one-pass form."""
        return self.adversary != "confusion"

    def joint_loss(self, data, training=True):
        """One forward pass whose gradient is every player's own: with the
        features reversed before the adversary, `d/d task = dCE - lambda dA` and
        `d/d adversary = dA` (used by the `joint` update rule)."""
        if not self.supports_joint:
            raise ValueError("adversary='confusion' has no joint (one-pass) form; play it "
                             "with 'alternating' or 'simultaneous'.")
        out = self._forward(data, training, reversed_features=True)
        task_extras = self._task_extras(out)
        own = self._own_terms(out)
        if self.adversary == "reversal":
            total = own + out["adv"]
            lam = ops.stop_gradient(self._lambda())
            return total, {"task": (own - lam * out["adv"], task_extras),
                           "adversary": (out["adv"], {"adversary_accuracy": out["adv_acc"]})}
        total = own + (self._lambda() * out["adv"] if self.adversary == "mmd" else 0.0)
        return total, {"task": (total, task_extras)}

    def compile(self, optimizers=None, game="alternating", steps=None, **kwargs):
        super().compile(optimizers=optimizers, game=game, steps=steps, **kwargs)
        if self.target_consistency and not getattr(self.task_optimizer, "use_ema", False):
            raise ValueError("target_consistency > 0 needs a mean teacher: compile the task "
                             "optimizer with use_ema=True (e.g. {'task': {'class_name': 'Adam', "
                             "'config': {'use_ema': True, 'ema_momentum': 0.99}}}).")

    def inner_maximization(self, data):
        # training batches only: the random input augmentation (inference and
        # evaluation see the images as they are) and, with a mean teacher, its
        # predictions for another augmentation of the same images
        x, *rest = data
        seen = intensity_augment(x, self.augment_seed) if self.augment else x
        if not self.target_consistency:
            return (seen, *rest)
        task = self.players()[0]
        teacher = teacher_predictions(
            lambda z: self.call(z, training=False), task.trainable_variables,
            self.task_optimizer, intensity_augment(x, self.augment_seed) if self.augment else x)
        return (seen, *rest, teacher)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "num_nuisance": self.num_nuisance, "image_shape": list(self.image_shape),
                "width": self.width, "feature_dim": self.feature_dim, "hidden": self.hidden,
                "adversary": self.adversary, "condition_on_label": self.condition_on_label,
                "lambda_": self.reversal.initial_lambda, "input_norm": self.input_norm,
                "batch_norm": self.batch_norm,
                "target_entropy": self.target_entropy, "target_diversity": self.target_diversity,
                "augment": self.augment, "target_vat": self.target_vat,
                "vat_radius": self.vat_radius, "mmd_bandwidth": self.mmd_bandwidth,
                "target_consistency": self.target_consistency,
                "consistency_threshold": self.consistency_threshold,
                "mmd_weight": self.mmd_weight}


def _unscaled(loss):
    from advzoo.compat import unscale_loss_for_distribution

    return unscale_loss_for_distribution(loss)
