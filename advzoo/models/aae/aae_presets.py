"""The `aae` family: recipes, data (with N labelled images for the
semi-supervised variant) and evaluation (reconstruction, MMD to the prior,
classification and clustering accuracy)."""

import numpy as np

from advzoo import data as adata
from advzoo.models.aae.aae_metrics import cluster_accuracy, mmd_to_prior  # noqa: F401
from advzoo.models.aae.aae_model import AdversarialAutoencoder
from advzoo.models.gan_presets import compile_game
from advzoo.family import Family
from advzoo.recipe_schema import GAME_COMPILE


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


def evaluate(model, recipe, **_):
    x, y = adata.load("fashion_mnist", "test")
    xf = adata.to_float(x)
    metrics = {"reconstruction_mse": round(float(np.mean(
        (model.reconstruct(xf, labels=y) - xf) ** 2)), 4)}
    code = model.encode(xf)
    z = code[1] if isinstance(code, tuple) else code
    metrics["mmd_to_prior"] = round(mmd_to_prior(z, model.prior_samples(len(z), seed=1)), 5)
    if model.variant == "semisupervised":
        metrics["test_accuracy"] = round(float(np.mean(model.classify(xf).argmax(-1) == y)), 4)
    if model.variant == "clustering":
        metrics["cluster_accuracy"] = round(float(cluster_accuracy(
            model.classify(xf).argmax(-1), y)), 4)
    return metrics


def samples(model, n, seed):
    return model.generate(n, seed=seed)


def hypermodel(recipe=None, validation_data=None, variant=None, **_):
    """AAE search; validation data default: the first 2,000 test images."""
    from advzoo.models.aae.aae_tuning import AAEHyperModel

    if validation_data is None:
        x, y = adata.load("fashion_mnist", "test")
        validation_data = (adata.to_float(x[:2000]), y[:2000])
    variant = variant or (recipe or {}).get("model", {}).get("variant", "unsupervised")
    return AAEHyperModel(validation_data=validation_data, variant=variant)


FAMILY = Family(
    name="aae", build=build, compile=compile_game, train_data=train_data, evaluate=evaluate,
    samples=samples, hypermodel=hypermodel, model=AdversarialAutoencoder,
    schema={"compile": GAME_COMPILE, "data": ("dataset", "n_labels", "labelled_batch")},
    headline=(("reconstruction_mse", "recon. MSE"), ("mmd_to_prior", "MMD to prior"),
              ("test_accuracy", "test acc."), ("cluster_accuracy", "cluster acc.")))
