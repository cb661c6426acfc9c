"""Retrieval evaluation of an embedding: every test image queries the rest.

Recall@k (is a same-class image among the k nearest?), mean average precision
over the full ranking, and NMI of a k-means clustering with the labels.
Pure numpy, chunked so that 10,000 queries fit in memory.
"""

import numpy as np


def _ranked_relevance(emb, labels, start, stop):
    """Relevance (same label) of every other image, nearest first, for
    queries `start:stop`."""
    d = 2.0 - 2.0 * emb[start:stop] @ emb.T
    rows = np.arange(stop - start)
    d[rows, np.arange(start, stop)] = np.inf  # the query is not its own result
    order = np.argsort(d, axis=1, kind="stable")[:, :-1]
    return labels[order] == labels[start:stop, None]


def recall_and_map(embeddings, labels, ks=(1, 2), chunk=500):
    """Returns `({k: Recall@k}, mAP)`, both in [0, 1]."""
    emb = np.asarray(embeddings, np.float32)
    labels = np.asarray(labels).reshape(-1)
    hits = {k: 0 for k in ks}
    ap_sum = 0.0
    for start in range(0, len(emb), chunk):
        stop = min(start + chunk, len(emb))
        rel = _ranked_relevance(emb, labels, start, stop)
        for k in ks:
            hits[k] += int(rel[:, :k].any(1).sum())
        cum = np.cumsum(rel, 1)
        precision = cum / np.arange(1, rel.shape[1] + 1)
        n_rel = np.maximum(rel.sum(1), 1)
        ap_sum += float(((precision * rel).sum(1) / n_rel).sum())
    return {k: hits[k] / len(emb) for k in ks}, ap_sum / len(emb)


def kmeans(x, k, iters=50, seed=0):
    """k-means with k-means++ initialisation; returns cluster assignments."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, np.float64)
    centres = [x[rng.integers(len(x))]]
    d2 = np.sum((x - centres[0]) ** 2, 1)
    for _ in range(1, k):
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
        d2 = np.minimum(d2, np.sum((x - centres[-1]) ** 2, 1))
    centres = np.stack(centres)
    assign = None
    for _ in range(iters):
        dist = (x ** 2).sum(1)[:, None] - 2 * x @ centres.T + (centres ** 2).sum(1)[None]
        new = dist.argmin(1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for c in range(k):
            members = x[assign == c]
            if len(members):
                centres[c] = members.mean(0)
    return assign


def normalized_mutual_information(a, b):
    """NMI with the arithmetic-mean normalisation, in [0, 1]."""
    a, b = np.unique(a, return_inverse=True)[1], np.unique(b, return_inverse=True)[1]
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1)
    joint /= joint.sum()
    pa, pb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    mi = float((joint[nz] * np.log(joint[nz] / (pa[:, None] * pb[None])[nz])).sum())
    h = -float((pa[pa > 0] * np.log(pa[pa > 0])).sum()) - float((pb[pb > 0] * np.log(
        pb[pb > 0])).sum())
    return 2 * mi / h if h > 0 else 1.0


def retrieval_metrics(embeddings, labels, seed=0):
    """Recall@1, Recall@2, mAP and NMI (k-means with as many clusters as
    classes), in percent."""
    labels = np.asarray(labels).reshape(-1)
    recall, m_ap = recall_and_map(embeddings, labels)
    nmi = normalized_mutual_information(
        kmeans(embeddings, len(np.unique(labels)), seed=seed), labels)
    return {"R@1": round(100 * recall[1], 2), "R@2": round(100 * recall[2], 2),
            "mAP": round(100 * m_ap, 2), "NMI": round(100 * nmi, 2)}
