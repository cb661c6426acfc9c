"""Triplet embedding models, plain or adversarially trained by Hardness
Manipulation (Zhou & Patel 2022) or embedding-shift adversarial training."""

import keras
import numpy as np
import tensorflow as tf

from advzoo.games import AdversarialGame, Player
from advzoo.models.triplet.triplet_attacks import pgd
from advzoo.models.triplet.triplet_losses import (MINERS, distance, hardness,
                                                  intra_class_structure_loss,
                                                  linear_gradual_destination, mine_triplets,
                                                  triplet_loss)
from advzoo.models.triplet.triplet_networks import build_c2f2
from advzoo.utils.inputs import model_images

DEFENSES = ("none", "hm", "est")


def _destination_ok(value):
    return value == "lga" or value in MINERS or isinstance(value, (int, float))


@keras.saving.register_keras_serializable(package="advzoo")
class TripletEmbedder(AdversarialGame):
    """An L2-normalised image embedding trained with the triplet loss, with
    optional adversarial training as a min-max inside `train_step`.

    One player, the **embedder**, minimises a triplet loss; with a defence,
    an inner maximisation (`inner_maximization`, PGD in an L-inf ball) first
    perturbs the batch:

    * `"hm"` - Hardness Manipulation: the triplet `(a, p, n)` mined by
      `source` is perturbed until its hardness `H = d(a, p) - d(a, n)` reaches
      the destination hardness `H_D` (PGD on `||max(0, H_D - H~)||^2`, whose
      gradient vanishes once `H_D` is reached); the embedder then minimises
      the triplet loss of the adversarial triplet plus `ics_weight` times the
      Intra-Class Structure loss of the benign/adversarial sextuplet.
      `destination` is a constant, the name of another miner (the hardness of
      that miner's benign triplet) or `"lga"` (Linear Gradual Adversary,
      `H_D = -gamma min(gamma, l_prev) / gamma`). `destination=2.0` is the
      direct adaptation of Madry's defence (maximise the hardness).
    * `"est"` - embedding-shift adversarial training (Zhou et al. 2020): every
      image is perturbed to move its embedding as far as possible, and the
      triplet loss is taken on the perturbed batch.

    Batches are `(images, labels)` with float images in `[0, 1]` and integer
    labels, in SPC-2 order (images `2i` and `2i + 1` share a class): use
    `pair_dataset`. Distances are Euclidean between normalised embeddings.

    Args:
        image_shape: `(height, width, channels)`.
        width: filters of the first convolution (C2F2: 32).
        hidden: hidden dense units (C2F2: 1024).
        embedding_dim: embedding size (512).
        margin: triplet margin.
        miner: negative miner for the triplet loss (see `mine_triplets`).
        defense: `"none"`, `"hm"` or `"est"`.
        epsilon: L-inf radius of the inner PGD, in pixel units of `[0, 1]`.
        step_size: PGD step.
        pgd_steps: PGD iterations per training step.
        source: miner of the source triplets that HM perturbs.
        destination: HM destination hardness (see above).
        lga_gamma: `gamma = u` of the Linear Gradual Adversary.
        ics_weight: weight of the Intra-Class Structure loss (HM only; 0 = off).
        seed: seed of the miners' random draws.

    Example:
    >>> model = advzoo.load("hm_triplet_fashion_mnist")
    >>> emb = model.embed(images / 255.0)   # (n, 512), unit norm

    Reference:
        Zhou, Patel. Enhancing Adversarial Robustness for Deep Metric Learning.
        CVPR 2022.
    """

    def __init__(self, image_shape=(28, 28, 1), width=32, hidden=1024, embedding_dim=512,
                 margin=0.2, miner="random", defense="none", epsilon=77 / 255,
                 step_size=3 / 255, pgd_steps=8, source="random", destination="lga",
                 lga_gamma=0.2, ics_weight=0.5, seed=0, **kwargs):
        super().__init__(**kwargs)
        if defense not in DEFENSES:
            raise ValueError(f"defense must be one of {DEFENSES}, got {defense!r}.")
        for name, value in (("miner", miner), ("source", source)):
            if value not in MINERS:
                raise ValueError(f"{name} must be one of {MINERS}, got {value!r}.")
        if not _destination_ok(destination):
            raise ValueError(f"destination must be a number, 'lga' or a miner {MINERS}, "
                             f"got {destination!r}.")
        if not 0.0 < float(epsilon) <= 1.0:
            raise ValueError(f"epsilon={epsilon} is outside the data range: images are in "
                             "[0, 1], so the L-inf radius must be in (0, 1] (e.g. 77/255).")
        if not 0.0 < float(step_size) <= float(epsilon):
            raise ValueError(f"step_size must be in (0, epsilon={epsilon}], got {step_size}.")
        if int(pgd_steps) < 1:
            raise ValueError(f"pgd_steps must be >= 1, got {pgd_steps}.")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.width, self.hidden, self.embedding_dim = int(width), int(hidden), int(embedding_dim)
        self.margin, self.miner, self.defense = float(margin), miner, defense
        self.epsilon, self.step_size = float(epsilon), float(step_size)
        self.pgd_steps, self.source = int(pgd_steps), source
        self.destination = destination if isinstance(destination, str) else float(destination)
        self.lga_gamma, self.ics_weight = float(lga_gamma), float(ics_weight)
        self.seed = seed
        self.backbone = build_c2f2(self.image_shape, self.width, self.hidden,
                                   self.embedding_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # The previous step's adversarial loss, for the Linear Gradual Adversary
        # (starts high: the first adversaries are the easiest).
        self.previous_adversarial_loss = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(2.0), trainable=False,
            aggregation="mean", name="previous_adversarial_loss")
        self.built = True

    # ------------------------------------------------------------------ use
    def call(self, x, training=False):
        return tf.math.l2_normalize(self.backbone(x, training=training), axis=-1)

    input_range = (0.0, 1.0)

    def embed(self, x, batch_size=1000):
        """L2-normalised embeddings of float images in [0, 1], as numpy."""
        return super().predict(model_images(self, x, "embed"), batch_size=batch_size, verbose=0)

    def predict(self, x, *args, **kwargs):
        """The embeddings (`keras.Model.predict`, with `embed`'s input checks)."""
        return super().predict(model_images(self, x, "predict"), *args, **kwargs)

    # ------------------------------------------------------------------ game
    def players(self):
        metrics = {"none": (), "hm": ("source_hardness", "adversarial_hardness",
                                      "destination_hardness", "ics_loss"),
                   "est": ("embedding_shift",)}[self.defense]
        return [Player("embedder", [self.backbone], self.embedder_loss, metrics=metrics)]

    def prepare_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("TripletEmbedder batches are (images, labels) in SPC-2 order "
                             "(see advzoo.models.triplet.pair_dataset).")
        x, y = data
        x = tf.convert_to_tensor(x, tf.float32)
        y = tf.convert_to_tensor(y)
        if y.shape.rank == 2 and y.shape[-1] == 1:
            y = tf.reshape(y, [-1])
        if y.shape.rank != 1:
            raise ValueError(f"labels must be integer class ids of shape (batch,), got shape "
                             f"{tuple(y.shape)} (one-hot labels? pass argmax(labels, -1)).")
        if x.shape[0] is not None and x.shape[0] % 2:
            raise ValueError(f"SPC-2 batches need an even size (anchor, positive pairs), "
                             f"got {x.shape[0]}.")
        return x, tf.cast(y, tf.int32)

    def _embedding(self, x, training=True):
        return self(x, training=training)

    def inner_maximization(self, data):
        x, y = data
        if self.defense == "none":
            return x, y
        e0 = tf.stop_gradient(self._embedding(x, training=False))
        if self.defense == "est":
            x_adv = pgd(lambda xa: -tf.reduce_sum(distance(self._embedding(xa, False), e0)),
                        x, self.epsilon, self.step_size, self.pgd_steps,
                        random_start=1e-3, seed=self.seed_generator)
            return x, y, tf.stop_gradient(x_adv)
        a, p, n = mine_triplets(e0, y, self.source, self.margin, self.seed_generator)
        if self.destination == "lga":
            h_d = linear_gradual_destination(self.previous_adversarial_loss, self.lga_gamma)
            h_d = tf.fill(tf.shape(a), h_d)
        elif isinstance(self.destination, str):
            da, dp, dn = mine_triplets(e0, y, self.destination, self.margin, self.seed_generator)
            h_d = hardness(tf.gather(e0, da), tf.gather(e0, dp), tf.gather(e0, dn))
        else:
            h_d = tf.fill(tf.shape(a), self.destination)
        h_s = hardness(tf.gather(e0, a), tf.gather(e0, p), tf.gather(e0, n))
        x_trip = tf.concat([tf.gather(x, a), tf.gather(x, p), tf.gather(x, n)], 0)
        k = tf.shape(a)[0]

        def objective(xt):
            e = self._embedding(xt, False)
            h = hardness(e[:k], e[k:2 * k], e[2 * k:])
            return tf.reduce_sum(tf.square(tf.nn.relu(h_d - h)))

        x_adv = pgd(objective, x_trip, self.epsilon, self.step_size, self.pgd_steps)
        return x, y, tf.stop_gradient(x_adv), a, p, h_s, h_d

    def embedder_loss(self, data, training=True):
        if self.defense == "none":
            x, y = data
            e = self._embedding(x, training)
            a, p, n = mine_triplets(tf.stop_gradient(e), y, self.miner, self.margin,
                                    self.seed_generator)
            return self.replica_mean(triplet_loss(tf.gather(e, a), tf.gather(e, p),
                                                  tf.gather(e, n), self.margin))
        if self.defense == "est":
            x, y, x_adv = data
            e_adv = self._embedding(x_adv, training)
            a, p, n = mine_triplets(tf.stop_gradient(e_adv), y, self.miner, self.margin,
                                    self.seed_generator)
            loss = triplet_loss(tf.gather(e_adv, a), tf.gather(e_adv, p), tf.gather(e_adv, n),
                                self.margin)
            shift = distance(tf.stop_gradient(e_adv), self._embedding(x, False))
            return self.replica_mean(loss), {"embedding_shift": tf.reduce_mean(shift)}
        x, y, x_adv, a, p, h_s, h_d = data
        k = tf.shape(a)[0]
        e_adv = self._embedding(x_adv, training)
        ea, ep, en = e_adv[:k], e_adv[k:2 * k], e_adv[2 * k:]
        adv = triplet_loss(ea, ep, en, self.margin)
        total = adv
        ics = tf.zeros_like(adv)
        if self.ics_weight > 0:
            e_ap = self._embedding(tf.concat([tf.gather(x, a), tf.gather(x, p)], 0), training)
            ics = intra_class_structure_loss(e_ap[:k], ea, e_ap[k:])
            total = adv + self.ics_weight * ics
        if training:
            self.previous_adversarial_loss.assign(tf.reduce_mean(tf.stop_gradient(adv)))
        return self.replica_mean(total), {
            "source_hardness": tf.reduce_mean(h_s),
            "adversarial_hardness": tf.reduce_mean(tf.stop_gradient(hardness(ea, ep, en))),
            "destination_hardness": tf.reduce_mean(h_d),
            "ics_loss": tf.reduce_mean(ics)}

    def test_step(self, data):
        # Validation reports the benign triplet loss whatever the defence.
        x, y = self.prepare_batch(data)
        e = self._embedding(x, False)
        a, p, n = mine_triplets(e, y, self.miner, self.margin, self.seed_generator)
        loss = self.replica_mean(triplet_loss(tf.gather(e, a), tf.gather(e, p),
                                              tf.gather(e, n), self.margin))
        self._record(self.players()[0], loss, {})
        return {"embedder_loss": self._trackers["embedder_loss"].result()}

    # ------------------------------------------------------------------ input checks
    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit`, after checking the first batch: SPC-2 pairs,
        integer labels, images in [0, 1]. Numpy inputs must come pair-ordered
        with `shuffle=False` (Keras's shuffling would break the pairs)."""
        if isinstance(x, tf.data.Dataset):
            first = next(iter(x.take(1)))
            if not isinstance(first, (tuple, list)) or len(first) != 2:
                raise ValueError("TripletEmbedder batches are (images, labels); use "
                                 "advzoo.models.triplet.pair_dataset(images, labels, ...).")
            check_pairs(np.asarray(first[0]), np.asarray(first[1]))
            kwargs.setdefault("shuffle", False)  # a dataset arrives in its own order
        elif x is not None and not hasattr(x, "__next__"):
            if y is None:
                raise ValueError("TripletEmbedder.fit needs labels: fit(images, labels, "
                                 "shuffle=False) or a pair_dataset.")
            if kwargs.get("shuffle", True):
                raise ValueError("Keras shuffles numpy inputs sample by sample, which breaks the "
                                 "anchor/positive pairs; pass shuffle=False with pair-ordered "
                                 "arrays, or use advzoo.models.triplet.pair_dataset.")
            check_pairs(np.asarray(x), np.asarray(y))
        return super().fit(x, y, **kwargs)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "width": self.width, "hidden": self.hidden,
                "embedding_dim": self.embedding_dim, "margin": self.margin,
                "miner": self.miner, "defense": self.defense, "epsilon": self.epsilon,
                "step_size": self.step_size, "pgd_steps": self.pgd_steps,
                "source": self.source, "destination": self.destination,
                "lga_gamma": self.lga_gamma, "ics_weight": self.ics_weight, "seed": self.seed}


def _check_range(x, where):
    if isinstance(x, np.ndarray) and x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise ValueError(f"{where}: images must be floats in [0, 1], got values in "
                         f"[{x.min():g}, {x.max():g}] (uint8 images? divide by 255).")


def check_pairs(images, labels):
    """Raises a clear error unless `(images, labels)` is an SPC-2 batch:
    integer labels of shape (n,), n even, `labels[2i] == labels[2i+1]`,
    images in [0, 1]."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"labels must be integer class ids of shape (batch,), got shape "
                         f"{labels.shape} (one-hot labels? pass labels.argmax(-1)).")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels.")
    if len(labels) % 2:
        raise ValueError(f"SPC-2 batches need an even size, got {len(labels)}.")
    bad = np.flatnonzero(labels[0::2] != labels[1::2])
    if len(bad):
        raise ValueError(
            f"{len(bad)} of {len(labels) // 2} anchors have no positive: image {2 * bad[0]} "
            f"(label {labels[2 * bad[0]]}) is followed by image {2 * bad[0] + 1} (label "
            f"{labels[2 * bad[0] + 1]}). Batches must pair images 2i and 2i+1 of the same "
            "class; build them with advzoo.models.triplet.pair_dataset.")
    _check_range(np.asarray(images), "TripletEmbedder.fit")


def pair_dataset(images, labels, batch_size=112, seed=0, repeat=True):
    """A `tf.data.Dataset` of SPC-2 batches `(images in [0, 1], labels)`.

    Each epoch visits every image once as an anchor (in a seeded random
    order) and pairs it with a random other image of its class; a batch holds
    `batch_size // 2` such pairs. Accepts uint8 (scaled by 1/255) or float
    images in [0, 1].
    """
    if batch_size % 2:
        raise ValueError(f"batch_size must be even (anchor, positive pairs), got {batch_size}.")
    images = np.asarray(images)
    images = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else \
        images.astype(np.float32)
    if images.ndim == 3:
        images = images[..., None]
    _check_range(images, "pair_dataset")
    labels = np.asarray(labels).astype(np.int32)
    by_class = {c: np.flatnonzero(labels == c) for c in np.unique(labels)}
    if any(len(v) < 2 for v in by_class.values()):
        raise ValueError("every class needs at least two images to form positive pairs.")
    half = batch_size // 2
    steps = len(labels) // batch_size

    def generate():
        rng = np.random.default_rng(seed)
        while True:
            order = rng.permutation(len(labels))[:steps * half]
            for s in range(steps):
                anchors = order[s * half:(s + 1) * half]
                positives = np.empty_like(anchors)
                for i, a in enumerate(anchors):
                    pool = by_class[labels[a]]
                    pick = pool[rng.integers(len(pool) - 1)]
                    positives[i] = pick if pick != a else pool[-1]
                idx = np.stack([anchors, positives], 1).reshape(-1)
                yield images[idx], labels[idx]
            if not repeat:
                return

    spec = (tf.TensorSpec((batch_size,) + images.shape[1:], tf.float32),
            tf.TensorSpec((batch_size,), tf.int32))
    return tf.data.Dataset.from_generator(generate, output_signature=spec).prefetch(2)
