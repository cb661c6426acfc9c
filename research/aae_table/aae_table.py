"""The adversarial-autoencoder numbers of the README, on Fashion-MNIST:

* semi-supervised AAE test accuracy with 100 and 1000 labels, next to the same
  encoder network trained as a plain classifier on those labels alone;
* unsupervised clustering accuracy with 16 clusters (each cluster predicts its
  majority label, as in the paper);
* reconstruction MSE and MMD to the prior of the unsupervised preset.

The 100-label semi-supervised and the unsupervised rows are the published
presets (re-evaluated); the others are trained here with the same recipe.

Usage:
    python -m research.aae_table.aae_table --out docs/studies/aae_table.json
    python -m research.aae_table.aae_table --classifier-only --out /tmp/aae_classifiers.json   # baselines only
    python -m research.aae_table.aae_table --epochs 1 --max-steps 20 --out /tmp/aae.json   # smoke run
"""

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.models.aae.aae_presets import evaluate, labelled_subset
from advzoo.registry import get_recipe
from advzoo.training import train


def classifier_on_labels(recipe, n_labels, epochs):
    """The AAE's encoder network (categorical head) as a plain classifier,
    trained on the N labelled images only (with the same optimizer)."""
    import keras

    from advzoo.models.aae.aae_networks import build_encoder

    m = recipe["model"]
    keras.utils.set_random_seed(recipe["train"].get("seed", 0))
    x, y = adata.load("fashion_mnist", "train")
    keep = labelled_subset(y, n_labels, recipe["train"].get("seed", 0))
    encoder = build_encoder(m["latent_dim"], m.get("num_classes", 10), m["width"],
                            tuple(m["image_shape"]))
    inputs = keras.Input(tuple(m["image_shape"]))
    model = keras.Model(inputs, encoder(inputs)[0])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    steps = epochs * 600  # as many updates as the AAE's classification phase gets
    reps = int(np.ceil(steps * 20 / len(keep)))
    xs, ys = np.repeat(adata.to_float(x[keep]), reps, 0), np.repeat(y[keep], reps, 0)
    model.fit(xs, ys, batch_size=20, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=True)
    x_test, y_test = adata.load("fashion_mnist", "test")
    probs = model.predict(adata.to_float(x_test), batch_size=512, verbose=0)
    return float(np.mean(probs.argmax(-1) == y_test))


def _write(rows, out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(rows, indent=1))
    print(json.dumps(rows, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipes'")
    parser.add_argument("--max-steps", type=int, default=None, help="cap steps (smoke runs)")
    parser.add_argument("--run-root", default="runs/aae_table")
    parser.add_argument("--out", default="docs/studies/aae_table.json")
    parser.add_argument("--classifier-only", action="store_true",
                        help="only the classifier-on-labels-alone baselines (a few minutes)")
    args = parser.parse_args()
    semi = get_recipe("aae_semisupervised_fashion_mnist")
    epochs = args.epochs or semi["train"]["epochs"]
    if args.classifier_only:
        rows = {f"classifier_alone_{n}_labels": round(classifier_on_labels(semi, n, epochs), 4)
                for n in (100, 1000)}
        return _write(rows, args.out)
    rows = {}
    for n_labels in (100, 1000):
        start = time.time()
        recipe = copy.deepcopy(semi)
        recipe["name"] = f"aae_semisupervised_{n_labels}"
        recipe["data"]["n_labels"] = n_labels
        recipe["train"]["epochs"] = epochs
        published = (n_labels == 100 and args.epochs is None and args.max_steps is None
                     and "aae_semisupervised_fashion_mnist" in advzoo.list_models(True))
        if published:
            model = advzoo.load("aae_semisupervised_fashion_mnist")
        else:
            model, _, _ = train(recipe, run_dir=Path(args.run_root) / recipe["name"],
                                overwrite=True, verbose=2, max_steps_per_epoch=args.max_steps)
        rows[f"semisupervised_{n_labels}_labels"] = {
            "aae_test_accuracy": evaluate(model, recipe)["test_accuracy"],
            "classifier_alone_test_accuracy": round(classifier_on_labels(
                recipe, n_labels, epochs if args.max_steps is None else 1), 4),
            "seconds": round(time.time() - start, 1)}
        print(json.dumps(rows), flush=True)
    recipe = copy.deepcopy(get_recipe("aae_fashion_mnist"))
    recipe["name"] = "aae_clustering_16"
    recipe["model"].update({"variant": "clustering", "num_categories": 16})
    recipe["train"]["epochs"] = epochs
    model, _, _ = train(recipe, run_dir=Path(args.run_root) / recipe["name"], overwrite=True,
                        verbose=2, max_steps_per_epoch=args.max_steps)
    rows["clustering_16"] = evaluate(model, recipe)
    if "aae_fashion_mnist" in advzoo.list_models(pretrained=True):
        rows["unsupervised_preset"] = evaluate(advzoo.load("aae_fashion_mnist"),
                                               get_recipe("aae_fashion_mnist"))
    _write(rows, args.out)


if __name__ == "__main__":
    main()
