"""Probes on frozen features: how much a representation says about a label.

Used to measure what an embedding keeps (class) and what it has forgotten (a
nuisance attribute), and for the 1-NN / linear-probe tables of BiGAN.
All probes are deterministic for a given seed.
"""

import numpy as np


def _check(train_x, train_y, test_x, test_y):
    train_x, test_x = np.asarray(train_x, np.float32), np.asarray(test_x, np.float32)
    train_y, test_y = np.asarray(train_y).reshape(-1), np.asarray(test_y).reshape(-1)
    if train_x.ndim != 2 or test_x.ndim != 2 or train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"Probes need 2-D features with equal widths, got {train_x.shape} "
                         f"and {test_x.shape}.")
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise ValueError("Probes need one label per feature row.")
    return train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64)


def _standardise(train_x, test_x):
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    return (train_x - mean) / std, (test_x - mean) / std


def knn_accuracy(train_x, train_y, test_x, test_y, k=1, metric="euclidean", batch_size=1024):
    """Test accuracy of a k-nearest-neighbour classifier (majority vote).

    Args:
        metric: `"euclidean"` or `"cosine"`.
    """
    train_x, train_y, test_x, test_y = _check(train_x, train_y, test_x, test_y)
    if metric == "cosine":
        train_x = train_x / (np.linalg.norm(train_x, axis=1, keepdims=True) + 1e-12)
        test_x = test_x / (np.linalg.norm(test_x, axis=1, keepdims=True) + 1e-12)
    elif metric != "euclidean":
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}.")
    sq_train = (train_x ** 2).sum(1)
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    correct = 0
    for start in range(0, len(test_x), batch_size):
        q = test_x[start:start + batch_size]
        d = sq_train[None, :] - 2.0 * q @ train_x.T
        idx = np.argpartition(d, kth=min(k, d.shape[1] - 1), axis=1)[:, :k] if k > 1 \
            else d.argmin(1)[:, None]
        votes = np.zeros((len(q), n_classes))
        np.add.at(votes, (np.arange(len(q))[:, None], train_y[idx]), 1)
        correct += int((votes.argmax(1) == test_y[start:start + batch_size]).sum())
    return correct / len(test_x)


def linear_probe(train_x, train_y, test_x, test_y, epochs=200, learning_rate=0.05,
                 l2=1e-4, seed=0):
    """Test accuracy of a softmax-regression probe trained with full-batch Adam
    on standardised features (numpy; deterministic).

    Returns:
        accuracy on `(test_x, test_y)`.
    """
    train_x, train_y, test_x, test_y = _check(train_x, train_y, test_x, test_y)
    train_x, test_x = _standardise(train_x, test_x)
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.01, (train_x.shape[1], n_classes)).astype(np.float32)
    b = np.zeros(n_classes, np.float32)
    onehot = np.eye(n_classes, dtype=np.float32)[train_y]
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(1, int(epochs) + 1):
        logits = train_x @ w + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(train_x)
        grads = [train_x.T @ g + l2 * w, g.sum(0)]
        for i, (param, grad) in enumerate(zip((w, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= learning_rate * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t))
                                                                  + 1e-8)
    return float(((test_x @ w + b).argmax(1) == test_y).mean())


def mlp_probe(train_x, train_y, test_x, test_y, hidden=256, epochs=30, batch_size=256, seed=0):
    """Test accuracy of a one-hidden-layer MLP probe (Keras, seeded): a
    stronger check than a linear probe that information is really gone."""
    import keras

    train_x, train_y, test_x, test_y = _check(train_x, train_y, test_x, test_y)
    train_x, test_x = _standardise(train_x, test_x)
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    keras.utils.set_random_seed(seed)
    probe = keras.Sequential([keras.Input((train_x.shape[1],)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(n_classes)])
    probe.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probe.fit(train_x, train_y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True)
    logits = probe.predict(test_x, batch_size=1024, verbose=0)
    return float((np.asarray(logits).argmax(1) == test_y).mean())


def split_probe(features, labels, probe=linear_probe, seed=0, **kwargs):
    """Trains `probe` on a random half of `(features, labels)` and returns its
    accuracy on the other half."""
    features, labels = np.asarray(features), np.asarray(labels).reshape(-1)
    order = np.random.default_rng(seed).permutation(len(labels))
    half = len(labels) // 2
    a, b = order[:half], order[half:]
    return probe(features[a], labels[a], features[b], labels[b], **kwargs)


def nearest_neighbours(features, queries, k):
    """Indices `(len(queries), k)` of each query row's `k` nearest neighbours
    among `features` by cosine similarity, itself excluded, nearest first."""
    features = np.asarray(features, np.float32)
    f = features / (np.linalg.norm(features, axis=1, keepdims=True) + 1e-12)
    sims = f[queries] @ f.T
    sims[np.arange(len(queries)), queries] = -np.inf
    idx = np.argpartition(-sims, kth=k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, idx, 1), axis=1)
    return np.take_along_axis(idx, order, 1)


def neighbour_agreement(features, attribute, k=10, n_queries=2000, seed=0):
    """Share of each query's `k` nearest neighbours (cosine, itself excluded)
    that have the query's `attribute`: 1/num_values when the embedding ignores
    the attribute, 1.0 when it sorts by it."""
    attribute = np.asarray(attribute).reshape(-1)
    rng = np.random.default_rng(seed)
    queries = rng.choice(len(attribute), min(n_queries, len(attribute)), replace=False)
    idx = nearest_neighbours(features, queries, k)
    return float(np.mean(attribute[idx] == attribute[queries][:, None]))
