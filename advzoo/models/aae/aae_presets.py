"""The `aae` family: recipes, data (with N labelled images for the
semi-supervised variant) and evaluation (reconstruction, MMD to the prior,
classification and clustering accuracy)."""

import numpy as np

from advzoo import data as adata
from advzoo.models.aae.aae_model import AdversarialAutoencoder
from advzoo.models.gan_presets import compile_game
from advzoo.registry import Family, register_family


def build(recipe):
    return AdversarialAutoencoder(**recipe["model"])


def labelled_subset(labels, n_labels, seed=0):
    """Indices of `n_labels` training images, balanced over classes."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    if n_labels % len(classes):
        raise ValueError(f"n_labels must be a multiple of the {len(classes)} classes, "
                         f"got {n_labels}.")
    per = n_labels // len(classes)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per, replace=False)
                           for c in classes])


def train_data(recipe):
    import tensorflow as tf

    x, y = adata.load(recipe["data"].get("dataset", "fashion_mnist"), "train")
    variant = recipe["model"].get("variant", "unsupervised")
    seed = recipe["train"].get("seed", 0)
    batch = recipe["train"].get("batch_size", 100)
    if variant not in ("supervised", "semisupervised"):
        y = np.full_like(y, -1)
    ds = tf.data.Dataset.from_tensor_slices((adata.to_float(x),
                                             y if variant != "semisupervised"
                                             else np.full_like(y, -1)))
    ds = ds.shuffle(len(x), seed=seed).repeat().batch(batch, drop_remainder=True)
    if variant == "semisupervised":
        # Every batch: `batch` unlabelled images + a minibatch of the N labelled
        # ones (drawn again and again), as the paper's classification phase.
        keep = labelled_subset(y, int(recipe["data"]["n_labels"]), seed)
        labelled = tf.data.Dataset.from_tensor_slices((adata.to_float(x[keep]), y[keep]))
        labelled = labelled.shuffle(len(keep), seed=seed + 1).repeat().batch(
            int(recipe["data"].get("labelled_batch", 20)), drop_remainder=True)
        ds = tf.data.Dataset.zip((ds, labelled)).map(
            lambda u, lab: (tf.concat([u[0], lab[0]], 0), tf.concat([u[1], lab[1]], 0)))
    return ds.prefetch(tf.data.AUTOTUNE), len(x) // batch


def mmd_to_prior(codes, prior, seed=0, n=2000):
    """Squared MMD (Gaussian kernels at several bandwidths) between encoded
    codes and prior samples, numpy."""
    rng = np.random.default_rng(seed)
    a = codes[rng.choice(len(codes), min(n, len(codes)), replace=False)].astype(np.float64)
    b = prior[:len(a)].astype(np.float64)
    xy = np.concatenate([a, b])
    sq = (xy ** 2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None] - 2 * xy @ xy.T, 0)
    base = d2.mean()
    k = sum(np.exp(-d2 / (base * 2.0 ** i)) for i in range(-2, 3))
    m = len(a)
    return float(k[:m, :m].mean() + k[m:, m:].mean() - 2 * k[:m, m:].mean())


def cluster_accuracy(assignments, labels):
    """Accuracy when every cluster predicts its majority label (the AAE
    paper's unsupervised clustering protocol)."""
    correct = 0
    for c in np.unique(assignments):
        members = labels[assignments == c]
        correct += np.bincount(members).max()
    return correct / len(labels)


def evaluate(model, recipe, **_):
    x, y = adata.load("fashion_mnist", "test")
    xf = adata.to_float(x)
    metrics = {"reconstruction_mse": round(float(np.mean(
        (model.reconstruct(xf, labels=y) - xf) ** 2)), 4)}
    code = model.encode(xf)
    z = code[1] if isinstance(code, tuple) else code
    rng = np.random.default_rng(1)
    prior = rng.standard_normal(z.shape) * model.prior_std
    if model.prior == "mixture":
        angle = rng.integers(0, 10, len(z)) * (2 * np.pi / 10)
        prior = prior * 0.25
        prior[:, :2] += np.stack([np.cos(angle), np.sin(angle)], -1) * 4 * model.prior_std
    metrics["mmd_to_prior"] = round(mmd_to_prior(z, prior), 5)
    if model.variant == "semisupervised":
        metrics["test_accuracy"] = round(float(np.mean(model.classify(xf).argmax(-1) == y)), 4)
    if model.variant == "clustering":
        metrics["cluster_accuracy"] = round(float(cluster_accuracy(
            model.classify(xf).argmax(-1), y)), 4)
    return metrics


def samples(model, n, seed):
    return model.generate(n, seed=seed)


FAMILY = register_family(Family(name="aae", build=build, compile=compile_game,
                                train_data=train_data, evaluate=evaluate, samples=samples))
