"""Metric-learning pieces: distances, in-batch triplet mining, triplet
hardness, the triplet and intra-class-structure losses.

Batches are "SPC-2" (two samples per class draw): images `2i` and `2i + 1`
share a label, so every anchor `2i` has the positive `2i + 1`; negatives are
mined inside the batch. All functions work on L2-normalised embeddings and
the normalised Euclidean distance, and are graph/XLA friendly (random
choices use the Gumbel-max trick with a `keras.random.SeedGenerator`).
"""

import math

import keras
import tensorflow as tf

MINERS = ("random", "semihard", "softhard", "distance", "hardest")


def distance(a, b):
    """Euclidean distance between matching rows of `a` and `b`."""
    return tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(a - b), -1), 1e-12))


def pairwise_distances(x, y=None):
    """`(len(x), len(y))` Euclidean distances between L2-normalised rows."""
    y = x if y is None else y
    d2 = 2.0 - 2.0 * tf.matmul(x, y, transpose_b=True)
    return tf.sqrt(tf.maximum(d2, 1e-12))


def hardness(anchor, positive, negative):
    """Triplet hardness H(a, p, n) = d(a, p) - d(a, n), per triplet.

    Positive hardness means the negative is closer than the positive (the
    ranking is wrong); the triplet loss is `max(0, H + margin)`."""
    return distance(anchor, positive) - distance(anchor, negative)


def triplet_loss(anchor, positive, negative, margin=0.2):
    """Per-triplet loss `max(0, d(a, p) - d(a, n) + margin)`."""
    return tf.nn.relu(hardness(anchor, positive, negative) + margin)


def intra_class_structure_loss(anchor, adversarial_anchor, positive):
    """Intra-Class Structure loss of Zhou & Patel (2022), per sextuplet: the
    adversarial anchor must stay closer to its benign anchor than the benign
    positive is, `max(0, d(a, a~) - d(a, p))` (a triplet loss with margin 0)."""
    return tf.nn.relu(distance(anchor, adversarial_anchor) - distance(anchor, positive))


def linear_gradual_destination(previous_loss, gamma=0.2):
    """Linear Gradual Adversary: H_D = -gamma * min(u, l) / u with u = gamma and
    `l` the previous step's adversarial triplet loss. A model that still fails
    (large loss) gets easy adversaries (H_D = -gamma, i.e. a triplet that merely
    sits on the margin); as the loss falls, H_D rises towards 0."""
    previous_loss = tf.cast(previous_loss, tf.float32)
    return -gamma * tf.clip_by_value(previous_loss, 0.0, gamma) / gamma


def _gumbel_choice(logits, seed):
    """Row-wise sample from softmax(logits) (Gumbel-max); -inf logits never win."""
    u = keras.random.uniform(tf.shape(logits), minval=1e-6, maxval=1.0 - 1e-6, seed=seed)
    return tf.argmax(logits - tf.math.log(-tf.math.log(u)), axis=-1, output_type=tf.int32)


def _masked_logits(mask, fallback):
    """log(mask) with rows that have no candidate falling back to `fallback`."""
    has_any = tf.reduce_any(mask, axis=-1, keepdims=True)
    mask = tf.where(has_any, mask, fallback)
    return tf.where(mask, 0.0, -math.inf)


def mine_triplets(embeddings, labels, method="random", margin=0.2, seed=None):
    """Mines one triplet per anchor of an SPC-2 batch.

    Args:
        embeddings: `(2k, d)` L2-normalised embeddings.
        labels: `(2k,)` integer labels; `labels[2i] == labels[2i + 1]`.
        method: negative (and for `"softhard"` positive) selection:
            `"random"` any other-class sample; `"semihard"` a negative farther
            than the positive but inside the margin (Schroff et al. 2015);
            `"softhard"` a negative closer than the farthest positive and a
            positive farther than the closest negative; `"distance"`
            distance-weighted sampling on the unit sphere (Wu et al. 2017);
            `"hardest"` the closest negative. Where no sample qualifies, any
            other-class sample is drawn.
        margin: triplet margin (for `"semihard"`).
        seed: a `keras.random.SeedGenerator` (or int) for the random draws.

    Returns:
        `(anchor_idx, positive_idx, negative_idx)`, int32 tensors of length k.
    """
    if method not in MINERS:
        raise ValueError(f"Unknown miner {method!r}; choose one of {MINERS}.")
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    n = tf.shape(labels)[0]
    anchors = tf.range(0, n, 2)
    positives = anchors + 1
    dist = pairwise_distances(embeddings)
    d_a = tf.gather(dist, anchors)                                   # (k, 2k)
    la = tf.gather(labels, anchors)
    same = tf.equal(la[:, None], labels[None, :])
    not_self = tf.not_equal(anchors[:, None], tf.range(n)[None, :])
    neg_mask = tf.logical_not(same)
    any_other = not_self
    d_ap = tf.reduce_sum(d_a * tf.one_hot(positives, n, dtype=d_a.dtype), -1)
    if method == "random":
        logits = _masked_logits(neg_mask, any_other)
    elif method == "semihard":
        semi = neg_mask & (d_a > d_ap[:, None]) & (d_a < d_ap[:, None] + margin)
        logits = tf.where(tf.reduce_any(semi, -1, keepdims=True),
                          _masked_logits(semi, any_other), _masked_logits(neg_mask, any_other))
    elif method == "hardest":
        big = tf.where(neg_mask, d_a, math.inf)
        hardest = tf.argmin(big, axis=-1, output_type=tf.int32)
        fallback = _gumbel_choice(_masked_logits(any_other, any_other), seed)
        negatives = tf.where(tf.reduce_any(neg_mask, -1), hardest, fallback)
        return anchors, positives, negatives
    elif method == "distance":
        dim = tf.cast(tf.shape(embeddings)[-1], tf.float32)
        d = tf.maximum(d_a, 0.5)  # as Wu et al.: cut the density's pole at small distances
        log_q_inv = (2.0 - dim) * tf.math.log(d) - ((dim - 3.0) / 2.0) * tf.math.log(
            tf.maximum(1.0 - 0.25 * tf.square(d), 1e-8))
        log_w = -log_q_inv
        log_w = log_w - tf.reduce_max(tf.where(neg_mask, log_w, -math.inf), -1, keepdims=True)
        logits = tf.where(neg_mask, log_w, -math.inf)
        logits = tf.where(tf.reduce_any(neg_mask, -1, keepdims=True), logits,
                          _masked_logits(any_other, any_other))
    else:  # softhard
        max_ap = tf.reduce_max(tf.where(same & not_self, d_a, -math.inf), -1, keepdims=True)
        min_an = tf.reduce_min(tf.where(neg_mask, d_a, math.inf), -1, keepdims=True)
        soft_neg = neg_mask & (d_a < max_ap)
        logits = tf.where(tf.reduce_any(soft_neg, -1, keepdims=True),
                          _masked_logits(soft_neg, any_other), _masked_logits(neg_mask, any_other))
        soft_pos = same & not_self & (d_a > min_an)
        pos_logits = tf.where(tf.reduce_any(soft_pos, -1, keepdims=True),
                              _masked_logits(soft_pos, same & not_self),
                              _masked_logits(same & not_self, tf.one_hot(
                                  positives, n, on_value=True, off_value=False)))
        positives = _gumbel_choice(pos_logits, seed)
    negatives = _gumbel_choice(logits, seed)
    return anchors, positives, negatives
