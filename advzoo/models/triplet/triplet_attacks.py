"""Adversarial ranking attacks on embedding models and the Empirical
Robustness Score (ERS) of Zhou et al. (2021) / Zhou & Patel (2022).

All attacks are L-inf PGD on images in [0, 1] (default eps = 77/255, step
3/255, 32 steps, the robust-ranking protocol for 28x28 images), against the
benign test set as the candidate database. Ten scores:

* CA+ / CA- (candidate attack, w = 1): a candidate is perturbed to rise in
  (CA+, random query) or fall from (CA-, the query that has it as its
  nearest neighbour) a query's ranking; reported: the candidate's rank
  percentile after the attack (CA+: lower = attack succeeded; unattacked
  about 50).
* QA+ / QA- (query attack, m = 1): the query is perturbed so that a random
  candidate rises (QA+) or its nearest neighbour falls (QA-); reported: that
  candidate's rank percentile.
* TMA (targeted mismatch, Tolias et al. 2019): the query's embedding is pulled
  towards a random other image's; reported: their cosine similarity.
* ES (embedding shift): the embedding is pushed as far as it goes; reported:
  ES:D, the distance moved (0..2) and ES:R, Recall@1 of the shifted query.
* LTM (learning-to-misrank, after Feng et al. 2020): same-class candidates
  pushed away, other-class candidates pulled in; reported: Recall@1.
* GTM (greedy top-1 misranking): each step raises the closest other-class
  candidate above the closest same-class one; reported: Recall@1.
* GTT (greedy top-1 translocation): the original top-1 candidate is pushed
  out of the top 4; reported: % of queries where it stays in the top 4.

ERS = mean of [2 CA+, 100 - CA-, 2 QA+, 100 - QA-, 100 (1 - TMA),
50 (2 - ES:D), ES:R, LTM, GTM, GTT], each clipped to [0, 100]: 0 = every attack
succeeds completely, 100 = no attack moves anything.

Our LTM, GTM and GTT objectives follow the descriptions in the papers (their
reference code was not available to us), so our ERS is comparable in spirit
with RobRank's tables, not bit-for-bit.
"""

import numpy as np
import tensorflow as tf

from advzoo.models.triplet.triplet_losses import distance, pairwise_distances

ATTACKS = ("CA+", "CA-", "QA+", "QA-", "TMA", "ES", "LTM", "GTM", "GTT")


def pgd(objective, x0, epsilon, step_size, steps, random_start=0.0, seed=None):
    """Minimises `objective(x)` (a scalar) by L-inf projected signed gradient
    descent in the ball of radius `epsilon` around `x0`, inside [0, 1].

    The objective's gradient may vanish (e.g. a hinge that is satisfied); the
    sign is then 0 and the example stops moving. `random_start > 0` starts
    from a uniform point in a ball of that radius (random restarts)."""
    import keras

    x0 = tf.convert_to_tensor(x0, tf.float32)
    x = x0
    if tf.is_tensor(random_start) or random_start:
        if tf.is_tensor(seed):  # a stateless (2,) int seed
            noise = tf.random.stateless_uniform(tf.shape(x0), seed, -1.0, 1.0)
        else:
            noise = keras.random.uniform(tf.shape(x0), -1.0, 1.0, seed=seed)
        x = tf.clip_by_value(x0 + random_start * noise, 0.0, 1.0)

    def body(i, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = objective(x)
        g = tape.gradient(value, x)
        x = x - step_size * tf.sign(g)
        x = tf.clip_by_value(tf.clip_by_value(x, x0 - epsilon, x0 + epsilon), 0.0, 1.0)
        return i + 1, x

    _, x = tf.while_loop(lambda i, x: i < steps, body, (tf.constant(0), x))
    return x


def _objective(kind, e, aux, cand):
    """Per-example attack objective (to be minimised) of embeddings `e`."""
    if kind in ("CA+", "CA-"):
        q, dq = aux["query"], aux["query_dist"]
        d = distance(e, q)[:, None]
        gap = d - dq if kind == "CA+" else dq - d
        return tf.reduce_mean(tf.nn.relu(gap) * aux["valid"], -1)
    if kind in ("QA+", "QA-"):
        d_all = pairwise_distances(e, cand)
        d_m = distance(e, aux["target"])[:, None]
        gap = d_m - d_all if kind == "QA+" else d_all - d_m
        return tf.reduce_mean(tf.nn.relu(gap) * aux["valid"], -1)
    if kind == "TMA":
        return -tf.reduce_sum(e * aux["target"], -1)
    if kind == "ES":
        return -distance(e, aux["origin"])
    d_all = pairwise_distances(e, cand)
    same, valid = aux["same"], aux["valid"]
    pos, neg = same * valid, (1.0 - same) * valid
    if kind == "LTM":
        return (tf.reduce_sum(d_all * neg, -1) / tf.maximum(tf.reduce_sum(neg, -1), 1.0)
                - tf.reduce_sum(d_all * pos, -1) / tf.maximum(tf.reduce_sum(pos, -1), 1.0))
    if kind == "GTM":
        big = 1e3
        return (tf.reduce_min(d_all + big * (1.0 - neg), -1)
                - tf.reduce_min(d_all + big * (1.0 - pos), -1))
    if kind == "GTT":
        d_top1 = distance(e, aux["target"])
        others = d_all + 1e3 * (1.0 - valid) + 1e3 * aux["top1_mask"]
        fourth = -tf.math.top_k(-others, k=4).values[:, -1]
        return tf.nn.relu(fourth - d_top1 + 1e-3)
    raise ValueError(f"Unknown attack {kind!r}; choose from {ATTACKS}.")


class RankingAttacks:
    """Runs the ten ranking attacks against an embedding model.

    Args:
        model: a model whose `call(x)` returns L2-normalised embeddings of
            float images in [0, 1] (e.g. `TripletEmbedder`).
        images: float test images in [0, 1], `(N, H, W, C)`.
        labels: `(N,)` integer labels.
        epsilon, step_size, steps: PGD settings.
        restarts: extra random-start runs per attack; the most successful
            per example is kept (a check against gradient masking).
        batch_size: attacked images per PGD batch.
        jit_compile: XLA-compile the PGD loops (slower than plain graphs on
            CPU in our measurements).
    """

    def __init__(self, model, images, labels, epsilon=77 / 255, step_size=3 / 255, steps=32,
                 restarts=0, batch_size=250, jit_compile=False):
        if not 0.0 < epsilon <= 1.0:
            raise ValueError(f"epsilon={epsilon} is outside the data range [0, 1].")
        self.model, self.images = model, np.asarray(images, np.float32)
        self.labels = np.asarray(labels).reshape(-1)
        self.epsilon, self.step_size, self.steps = float(epsilon), float(step_size), int(steps)
        self.restarts, self.batch_size = int(restarts), int(batch_size)
        self.jit_compile = bool(jit_compile)
        self.candidates = model.predict(self.images, batch_size=1000, verbose=0)
        self._fns = {}

    def _run(self, kind):
        if kind not in self._fns:
            model, cand = self.model, tf.constant(self.candidates)

            @tf.function(jit_compile=self.jit_compile, reduce_retracing=True)
            def run(x, aux, random_start, seed):
                def total(xa):
                    return tf.reduce_sum(_objective(kind, model(xa, training=False), aux, cand))

                x_adv = pgd(total, x, self.epsilon, self.step_size, self.steps,
                            random_start=random_start, seed=seed)
                e = model(x_adv, training=False)
                return x_adv, e, _objective(kind, e, aux, cand)

            self._fns[kind] = run
        return self._fns[kind]

    def _aux(self, kind, idx, rng):
        n = len(self.labels)
        cand, lab = self.candidates, self.labels
        valid = np.ones((len(idx), n), np.float32)
        valid[np.arange(len(idx)), idx] = 0.0
        d = 2.0 - 2.0 * cand[idx] @ cand.T
        d[np.arange(len(idx)), idx] = np.inf
        nearest = d.argmin(1)
        others = (idx + rng.integers(1, n, len(idx))) % n  # a random other image
        if kind in ("CA+", "CA-"):
            # The candidate is the attacked image; the query is random (CA+) or
            # the image whose nearest neighbour is the candidate's (CA-).
            q = others if kind == "CA+" else nearest
            dq = np.sqrt(np.maximum(2.0 - 2.0 * cand[q] @ cand.T, 0.0))
            valid[np.arange(len(idx)), q] = 0.0
            return {"query": cand[q], "query_dist": dq, "valid": valid}, q
        if kind in ("QA+", "QA-"):
            m = others if kind == "QA+" else nearest
            valid[np.arange(len(idx)), m] = 0.0
            return {"target": cand[m], "valid": valid}, m
        if kind == "TMA":
            return {"target": cand[others]}, others
        if kind == "ES":
            return {"origin": cand[idx]}, None
        same = (lab[idx][:, None] == lab[None, :]).astype(np.float32)
        aux = {"same": same, "valid": valid}
        if kind == "GTT":
            aux["target"] = cand[nearest]
            aux["top1_mask"] = np.eye(n, dtype=np.float32)[nearest]
        return aux, nearest

    def _score(self, kind, idx, e, ref):
        cand, lab = self.candidates, self.labels
        rows = np.arange(len(idx))
        d = np.sqrt(np.maximum(2.0 - 2.0 * e @ cand.T, 0.0))
        d[rows, idx] = np.inf
        if kind in ("CA+", "CA-"):
            dq = np.sqrt(np.maximum(2.0 - 2.0 * cand[ref] @ cand.T, 0.0))
            mine = np.sqrt(np.maximum(2.0 - 2.0 * np.sum(e * cand[ref], -1), 0.0))
            keep = np.ones_like(dq, bool)
            keep[rows, idx] = keep[rows, ref] = False
            return 100.0 * ((dq < mine[:, None]) & keep).sum(1) / keep.sum(1)
        if kind in ("QA+", "QA-"):
            keep = np.isfinite(d)
            keep[rows, ref] = False
            return 100.0 * ((d < d[rows, ref][:, None]) & keep).sum(1) / keep.sum(1)
        if kind == "TMA":
            return np.sum(e * cand[ref], -1)
        if kind == "GTT":
            rank = (d < d[rows, ref][:, None]).sum(1)
            return 100.0 * (rank < 4)
        return 100.0 * (lab[d.argmin(1)] == lab[idx])  # Recall@1 (ES:R, LTM, GTM)

    def adversarial_images(self, kind, query_idx, seed=0):
        """The adversarial versions of the images `query_idx` under `kind`."""
        return self.attack(kind, query_idx, seed=seed, return_images=True)[-1]

    def attack(self, kind, query_idx, seed=0, return_images=False):
        """Attacks the images `query_idx`; returns per-example scores (and,
        for ES, the embedding distance moved as a second array; with
        `return_images`, the adversarial images last)."""
        rng = np.random.default_rng(seed)
        run = self._run(kind)
        scores, shifts, images = [], [], []
        for start in range(0, len(query_idx), self.batch_size):
            idx = np.asarray(query_idx[start:start + self.batch_size])
            aux, ref = self._aux(kind, idx, rng)
            aux = {k: tf.constant(v, tf.float32) for k, v in aux.items()}
            x = tf.constant(self.images[idx])
            best_x, best_e, best_obj = None, None, None
            for r in range(self.restarts + 1):
                # ES needs a nudge off the origin (its gradient vanishes there).
                start_radius = self.epsilon if r else (1e-3 if kind == "ES" else 0.0)
                x_adv, e, obj = run(x, aux, tf.constant(start_radius, tf.float32),
                                    tf.constant([seed, r], tf.int32))
                x_adv, e, obj = x_adv.numpy(), e.numpy(), obj.numpy()
                if best_e is None:
                    best_x, best_e, best_obj = x_adv, e, obj
                else:
                    better = obj < best_obj
                    best_x[better], best_e[better] = x_adv[better], e[better]
                    best_obj[better] = obj[better]
            scores.append(self._score(kind, idx, best_e, ref))
            if return_images:
                images.append(best_x)
            if kind == "ES":
                shifts.append(np.linalg.norm(best_e - self.candidates[idx], axis=-1))
        out = [np.concatenate(scores)] + ([np.concatenate(shifts)] if kind == "ES" else [])
        if return_images:
            out.append(np.concatenate(images))
        return tuple(out) if len(out) > 1 else out[0]

    def report(self, n_queries=1000, seed=0, attacks=ATTACKS, verbose=True):
        """Runs `attacks` on `n_queries` random test images (all if None);
        returns a dict of the ten scores (`ES:D`, `ES:R` for ES) and `ERS`."""
        rng = np.random.default_rng(seed)
        n = len(self.labels)
        queries = np.sort(rng.choice(n, n if n_queries is None else min(n_queries, n),
                                     replace=False))
        out = {}
        from keras.utils import Progbar

        bar = Progbar(len(attacks), unit_name="attack") if verbose else None
        for i, kind in enumerate(attacks):
            result = self.attack(kind, queries, seed=seed)
            if bar is not None:
                bar.update(i + 1, values=[("attack", i + 1)])
            if kind == "ES":
                out["ES:R"] = float(np.mean(result[0]))
                out["ES:D"] = float(np.mean(result[1]))
            else:
                out[kind] = float(np.mean(result))
        if set(ATTACKS) <= set(attacks):
            out["ERS"] = empirical_robustness_score(out)
        return {k: round(v, 3) for k, v in out.items()}


def empirical_robustness_score(scores):
    """ERS from the ten attack scores (see the module docstring)."""
    terms = [2 * scores["CA+"], 100 - scores["CA-"], 2 * scores["QA+"], 100 - scores["QA-"],
             100 * (1 - scores["TMA"]), 50 * (2 - scores["ES:D"]), scores["ES:R"],
             scores["LTM"], scores["GTM"], scores["GTT"]]
    return float(np.mean(np.clip(terms, 0.0, 100.0)))
