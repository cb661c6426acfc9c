"""How far apart a forgetting model puts the two versions of one garment: the
test set holds every Fashion-MNIST test garment twice, clean and textured
(`fashion_mnist_m` is made from the same 10,000 garments), so each clean test
image has a textured twin. Prints the twins' mean squared embedding distance
relative to that of two random test images (as the training pair term,
`relative_pair_distance`, measures it: 0 = identical embeddings, about 1 = no
closer than two random images) and the same with the twin replaced by a random
textured garment of the same class -- a model that forgot the source but not
the garment has the first well below the second.

Usage:
    python -m research.forgetting.forget_twins                                   # the published preset
    python -m research.forgetting.forget_twins --runs runs/baselines/forget_fashion_mnist_erm \\
        runs/baselines/forget_fashion_mnist_hybrid_pairs1
"""

import argparse
import json

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.models.dann.dann_presets import forget_arrays
from research.probe_splits.probe_splits import load_run


def twin_distances(model):
    x, y, source = forget_arrays("test")
    clean, textured = np.where(source == 0)[0], np.where(source == 1)[0]
    if not np.array_equal(y[clean], y[textured]):
        raise RuntimeError("the clean and textured test garments are not in the same order")
    f = np.asarray(model.features(adata.to_float(x)))
    a, b = f[clean], f[textured]
    rng = np.random.default_rng(0)
    other = np.empty(len(a), np.int64)  # a random textured garment of the same class
    for c in np.unique(y[clean]):
        members = np.where(y[clean] == c)[0]
        other[members] = rng.permutation(members)
    both = np.concatenate([a, b])
    spread = 2.0 * np.sum(np.var(both, axis=0))
    return {"twins": round(float(np.mean(np.sum((a - b) ** 2, -1)) / spread), 4),
            "same_class": round(float(np.mean(np.sum((a - b[other]) ** 2, -1)) / spread), 4)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="*", default=[],
                        help="training-run or export folders (default: the published preset)")
    args = parser.parse_args()
    targets = args.runs or [None]
    for run in targets:
        if run is None:
            model, name = advzoo.load("forget_fashion_mnist"), "forget_fashion_mnist"
        else:
            try:
                model, name, _ = load_run(run)
            except FileNotFoundError as error:
                parser.error(str(error))
        print(json.dumps({"name": name, **twin_distances(model)}), flush=True)


if __name__ == "__main__":
    main()
