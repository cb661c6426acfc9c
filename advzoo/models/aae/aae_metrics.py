"""AAE evaluation measures: MMD of the codes to the prior, cluster accuracy."""

import numpy as np


def mmd_to_prior(codes, prior, seed=0, n=2000):
    """Squared multi-kernel MMD (`advzoo.models.dann.mk_mmd`) between up to `n`
    encoded codes and as many prior samples, as a float."""
    from advzoo.models.dann.dann_schedules import mk_mmd

    rng = np.random.default_rng(seed)
    a = codes[rng.choice(len(codes), min(n, len(codes)), replace=False)].astype(np.float32)
    return float(mk_mmd(a, prior[:len(a)].astype(np.float32)))


def cluster_accuracy(assignments, labels):
    """Accuracy when every cluster predicts its majority label (the AAE
    paper's unsupervised clustering protocol)."""
    correct = 0
    for c in np.unique(assignments):
        members = labels[assignments == c]
        correct += np.bincount(members).max()
    return correct / len(labels)
