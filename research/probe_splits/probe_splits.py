"""How much a source probe's score on the forgetting preset depends on the
random half used to fit it: the recorded metrics use split 0; this refits the
probes on other splits of the same 20,000 frozen test embeddings.

Usage:
    taskset -c 1 python -m research.probe_splits.probe_splits                      # the published preset
    taskset -c 1 python -m research.probe_splits.probe_splits --splits 8 --probe linear
    # any trained forgetting model, with its own recipe (e.g. another objective):
    # a variant trained by nuisance_baselines.py --variants cmmd_batch512, or a
    # folder written by `advzoo train --export --export-dir`
    taskset -c 1 python -m research.probe_splits.probe_splits --run runs/baselines/forget_fashion_mnist_cmmd_batch512
    # what the classifier's own outputs (class probabilities) say about the source:
    taskset -c 1 python -m research.probe_splits.probe_splits --inputs probabilities
    # the same probes on the training images' embeddings (is what is left overfitting?):
    taskset -c 1 python -m research.probe_splits.probe_splits --split train
    # what "chance" looks like for this probe protocol: the same embedding with
    # the source labels shuffled (a fresh shuffle per split), nothing to find
    taskset -c 1 python -m research.probe_splits.probe_splits --shuffled-sources --splits 8

An embedding cannot say less about the source than the class probabilities
computed from it (a function of it) do; when the two sources are not
classified equally well, those probabilities carry a little of it, so the
`probabilities` score is, up to the probe's own noise, a floor for the
embedding's score at that model's class accuracies.
"""

import argparse
import json
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.metrics.probes import knn_accuracy, linear_probe, mlp_probe, split_probe
from advzoo.models.dann.dann_presets import forget_arrays


def load_run(folder):
    """The model of a training run's folder (recipe.json, final.weights.h5) or
    an export's (config.json, model.weights.h5), built from its own recipe:
    `(model, name, weights_path)`."""
    from advzoo.presets import load_weights
    from advzoo.training import build_model

    folder = Path(folder)
    export = (folder / "config.json").exists()
    weights = folder / ("model.weights.h5" if export else "final.weights.h5")
    if not weights.exists():
        raise FileNotFoundError(f"--run {folder}: no {weights.name} there (a finished training "
                                "run has final.weights.h5, an export model.weights.h5)")
    recipe = json.loads((folder / ("config.json" if export else "recipe.json")).read_text())
    recipe = recipe["recipe"] if export else recipe
    model = build_model(recipe)
    load_weights(model, weights, what=str(folder))
    return model, recipe["name"], str(weights)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="forget_fashion_mnist")
    parser.add_argument("--weights", default="pretrained",
                        help="a .weights.h5 file of the same network (default: the preset's)")
    parser.add_argument("--run", default=None,
                        help="a training run's folder (recipe.json, final.weights.h5) or an "
                             "export's (config.json, model.weights.h5): that model, built "
                             "from its own recipe (instead of --name/--weights)")
    parser.add_argument("--splits", type=int, default=4)
    parser.add_argument("--probe", choices=("mlp", "linear", "knn"), default="mlp")
    parser.add_argument("--hidden", type=int, default=256, help="MLP probe: hidden units")
    parser.add_argument("--epochs", type=int, default=None,
                        help="probe training epochs (default: the metric's own, MLP 30, "
                             "linear 200)")
    parser.add_argument("--k", type=int, default=25, help="knn probe: neighbours that vote")
    parser.add_argument("--split", choices=("train", "validation", "test"), default="test",
                        help="whose images: clean and textured garments of this split")
    parser.add_argument("--inputs", choices=("features", "probabilities"), default="features",
                        help="probe the embedding (model.features) or the class "
                             "probabilities the model predicts from it")
    parser.add_argument("--shuffled-sources", action="store_true",
                        help="shuffle the source labels (seed 1000 + split) before fitting: the "
                             "probe's score when there is nothing to find")
    args = parser.parse_args()
    if args.splits < 1:
        parser.error("--splits must be >= 1")
    if args.hidden < 1 or args.k < 1 or (args.epochs is not None and args.epochs < 1):
        parser.error("--hidden, --k and --epochs must be >= 1")
    if args.run:
        try:
            model, args.name, args.weights = load_run(args.run)
        except FileNotFoundError as error:
            parser.error(str(error))
    else:
        model = advzoo.load(args.name, weights=args.weights)
    x, _, source = forget_arrays(args.split)
    images = adata.to_float(x)
    features = (model.features(images) if args.inputs == "features"
                else np.asarray(model.predict(images, batch_size=512, verbose=0)))
    probe, options = {"mlp": (mlp_probe, {"hidden": args.hidden}), "linear": (linear_probe, {}),
                      "knn": (knn_accuracy, {"k": args.k})}[args.probe]
    if args.epochs is not None and args.probe != "knn":
        options["epochs"] = args.epochs

    def sources(k):
        return (np.random.default_rng(1000 + k).permutation(source) if args.shuffled_sources
                else source)

    scores = [round(split_probe(features, sources(k), probe, seed=k, **options), 4)
              for k in range(args.splits)]
    print(json.dumps({"name": args.name, "weights": args.weights, "probe": args.probe,
                      "options": options,
                      "inputs": args.inputs, "split": args.split,
                      "shuffled_sources": args.shuffled_sources,
                      "splits": scores,
                      "mean": round(float(np.mean(scores)), 4),
                      "std": round(float(np.std(scores)), 4), "chance": 0.5}))


if __name__ == "__main__":
    main()
