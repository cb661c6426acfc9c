"""Sample-quality metrics in a classifier's feature space.

In the spirit of TF-GAN's `frechet_classifier_distance`: Inception is replaced
by advzoo's own `fashion_mnist_classifier`, whose 256-d penultimate layer is
the feature space. Numbers are therefore comparable across advzoo presets and
runs, not with Inception-FID values from papers.
"""

import functools

import numpy as np


def frechet_distance(feats_a, feats_b):
    """Fréchet distance between Gaussians fitted to two feature sets `(N, D)`."""
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr sqrt(A B) = sum sqrt(eig(sqrt(A) B sqrt(A))), all symmetric PSD.
    w, v = np.linalg.eigh(cov_a)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    tr_sqrt = np.sqrt(np.clip(eig, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt)


def kernel_distance(feats_a, feats_b, n_subsets=10, subset_size=1000, seed=0):
    """KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial
    kernel, averaged over random subsets. Returns `(mean, std)`."""
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        values.append((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                      + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


def _knn_radii(feats, k, chunk=2000):
    radii = np.empty(len(feats))
    sq = (feats ** 2).sum(1)
    for i in range(0, len(feats), chunk):
        d2 = sq[i:i + chunk, None] + sq[None] - 2 * feats[i:i + chunk] @ feats.T
        radii[i:i + chunk] = np.sqrt(np.clip(np.partition(d2, k, axis=1)[:, k], 0, None))
    return radii


def _coverage(queries, support, radii, chunk=2000):
    sq_s = (support ** 2).sum(1)
    inside = np.empty(len(queries), bool)
    for i in range(0, len(queries), chunk):
        q = queries[i:i + chunk]
        d2 = (q ** 2).sum(1)[:, None] + sq_s[None] - 2 * q @ support.T
        inside[i:i + chunk] = (np.sqrt(np.clip(d2, 0, None)) <= radii[None]).any(1)
    return float(inside.mean())


def precision_recall(real_feats, fake_feats, k=3, max_n=5000, seed=0):
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN balls."""
    rng = np.random.default_rng(seed)
    real = np.asarray(real_feats, np.float64)
    fake = np.asarray(fake_feats, np.float64)
    real = real[rng.choice(len(real), min(max_n, len(real)), replace=False)]
    fake = fake[rng.choice(len(fake), min(max_n, len(fake)), replace=False)]
    precision = _coverage(fake, real, _knn_radii(real, k))
    recall = _coverage(real, fake, _knn_radii(fake, k))
    return precision, recall


@functools.lru_cache(maxsize=4)
def _real_features(dataset, split, n=None, seed=0):
    from advzoo import data as adata

    x, _ = adata.load(dataset, split)
    if n is not None and n < len(x):
        x = x[np.random.default_rng(seed).choice(len(x), n, replace=False)]
    return evaluator().features(adata.to_float(x))


EVALUATOR = "fashion_mnist_classifier"


@functools.lru_cache(maxsize=1)
def evaluator():
    """The pretrained `fashion_mnist_classifier` (loaded once per process):
    built from its recipe and read through the weights store, as `load` does."""
    from advzoo import presets
    from advzoo.registry import get_recipe
    from advzoo.training import build_model

    model = build_model(get_recipe(EVALUATOR))
    return presets.load_weights(model, presets.weights_path(EVALUATOR), what=EVALUATOR)


def sample_quality(fake_images, dataset="fashion_mnist", seed=0):
    """All metrics of `fake_images` (float [-1, 1], `(N, 28, 28, 1)`) against
    the test split, plus the real-data floor (train vs test, same N)."""
    fake_images = np.asarray(fake_images, np.float32)
    n = len(fake_images)
    clf = evaluator()
    fake = clf.features(fake_images)
    test = _real_features(dataset, "test")
    train = _real_features(dataset, "train", n, seed)
    kid, kid_std = kernel_distance(fake, test, seed=seed)
    precision, recall = precision_recall(test, fake, seed=seed)
    probs = clf.head.predict(fake, batch_size=1024, verbose=0)
    hist = np.bincount(probs.argmax(-1), minlength=probs.shape[-1]) / n
    return {
        "n_samples": n,
        "classifier_fid": round(frechet_distance(fake, test), 3),
        "classifier_fid_real_floor": round(frechet_distance(train, test), 3),
        "kid": round(kid, 5), "kid_std": round(kid_std, 5),
        "precision": round(precision, 4), "recall": round(recall, 4),
        "class_histogram": [round(float(h), 4) for h in hist],
        "min_class_fraction": round(float(hist.min()), 4),
    }


def evaluate_generator(model, n_samples=10000, seed=0, dataset="fashion_mnist"):
    """Generates `n_samples` images with `model.generate(n, seed)` and scores them."""
    return sample_quality(model.generate(n_samples, seed=seed), dataset=dataset, seed=seed)
