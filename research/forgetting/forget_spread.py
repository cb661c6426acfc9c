"""What a source probe reads in a forgetting embedding: how far the textured
garments sit from their class's centre, compared with the clean ones.

A network that cannot see through a texture entirely turns it into noise on
the embedding: the textured garments of a class scatter more widely around
the class centre than the clean ones. A linear probe cannot read that (both
clouds have the same centre), an MLP probe can. This script measures, on the
frozen embedding of the 20,000 test garments (standardised, as the probes see
it):

* each class's mean distance to its centre (the centre of both sources'
  garments of that class), for the clean and the textured garments, and the
  ratio textured / clean;
* the MLP source probe of the recorded metrics (fit on a random half, scored
  on the other) on the embedding itself, and on the *distances alone*: the 10
  distances of each garment to the 10 class centres (centres from the fit
  half) -- if the second reads about as much as the first, the width is what
  is left of the source.

Usage:
    taskset -c 1 python -m research.forgetting.forget_spread                 # the published preset
    taskset -c 1 python -m research.forgetting.forget_spread --runs runs/baselines/forget_fashion_mnist_hybrid_smooth01
    # the picture and numbers of the README (after training the two variants
    # with research/nuisance_baselines/nuisance_baselines.py):
    taskset -c 1 python -m research.forgetting.forget_spread --runs runs/baselines/forget_fashion_mnist_erm \
        weights/forget_fashion_mnist runs/baselines/forget_fashion_mnist_hybrid_width10 \
        --labels "plain training, BN, 8-d" "published preset" "published + width_weight 10" \
        --out docs/studies/forget_spread.json --picture docs/img/forget_spread.png
"""

import argparse
import json
from pathlib import Path

import numpy as np


from advzoo.metrics.probes import mlp_probe


def _standardised(features):
    features = np.asarray(features, np.float64)
    return (features - features.mean(0)) / (features.std(0) + 1e-6)


def class_widths(features, labels, source):
    """Per class, the mean distance of each source's garments to the class
    centre (the mean of both sources' garments of that class), on standardised
    features: `{"clean": [..], "textured": [..], "ratio": [..], "overall": {..}}`."""
    f, labels, source = _standardised(features), np.asarray(labels), np.asarray(source)
    if not (len(f) == len(labels) == len(source)):
        raise ValueError(f"one label and one source per feature row, got {len(f)} rows, "
                         f"{len(labels)} labels and {len(source)} sources")
    if set(np.unique(source).tolist()) - {0, 1}:
        raise ValueError("source must be 0 (clean) or 1 (textured)")
    classes = np.unique(labels)
    centres = np.stack([f[labels == c].mean(0) for c in classes])
    distance = np.linalg.norm(f - centres[np.searchsorted(classes, labels)], axis=1)
    clean = [float(distance[(labels == c) & (source == 0)].mean()) for c in classes]
    textured = [float(distance[(labels == c) & (source == 1)].mean()) for c in classes]
    return {"clean": [round(v, 4) for v in clean], "textured": [round(v, 4) for v in textured],
            "ratio": [round(t / c, 4) for t, c in zip(textured, clean)],
            "overall": {"clean": round(float(distance[source == 0].mean()), 4),
                        "textured": round(float(distance[source == 1].mean()), 4),
                        "ratio": round(float(distance[source == 1].mean()
                                             / distance[source == 0].mean()), 4)},
            "distance": distance}


def centre_distances(features, labels, fit):
    """Each row's distances to the class centres of the `fit` rows (standardised
    features): `(N, num_classes)`."""
    f, labels = _standardised(features), np.asarray(labels)
    centres = np.stack([f[fit][labels[fit] == c].mean(0) for c in np.unique(labels[fit])])
    return np.linalg.norm(f[:, None, :] - centres[None], axis=2)


def width_probes(features, labels, source, splits=4, epochs=30):
    """The MLP source probe on the embedding and on the 10 centre distances
    alone, each fit on a random half and scored on the other, averaged over
    `splits` halves (split k uses the halves of `split_probe(seed=k)` and the
    probe's own seed, as the recorded `source_probe_mlp_4_splits` does)."""
    source = np.asarray(source).astype(np.int64)
    scores = {"features": [], "centre_distances": []}
    for k in range(splits):
        order = np.random.default_rng(k).permutation(len(source))
        fit, score = order[:len(source) // 2], order[len(source) // 2:]
        distances = centre_distances(features, labels, fit)
        for name, inputs in (("features", np.asarray(features)), ("centre_distances", distances)):
            scores[name].append(round(mlp_probe(inputs[fit], source[fit], inputs[score],
                                                source[score], epochs=epochs), 4))
    return {name: {"splits": s, "mean": round(float(np.mean(s)), 4)} for name, s in scores.items()}


def draw(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(results), figsize=(5.2 * len(results), 7.4), squeeze=False)
    for column, (name, r) in enumerate(results.items()):
        widths = r["widths"]
        ax = axes[0, column]
        classes = np.arange(len(widths["clean"]))
        ax.bar(classes - 0.2, widths["clean"], 0.4, label="clean", color="tab:blue")
        ax.bar(classes + 0.2, widths["textured"], 0.4, label="textured", color="tab:orange")
        ax.set_xticks(classes)
        ax.set_ylim(0, 1.3 * max(widths["clean"] + widths["textured"]))  # room for the legend
        ax.set_xlabel("garment class")
        ax.set_ylabel("mean distance to the class centre")
        ax.set_title(f"{name}\ntextured / clean = {widths['overall']['ratio']:.3f}", fontsize=9)
        ax.legend(fontsize=8, ncol=2, loc="upper center")
        ax = axes[1, column]
        d, source = widths["distance"], r["source"]
        bins = np.linspace(0, np.percentile(d, 99.5), 60)
        ax.hist(d[source == 0], bins, alpha=0.6, label="clean", color="tab:blue")
        ax.hist(d[source == 1], bins, alpha=0.6, label="textured", color="tab:orange")
        probes = r["probes"]
        ax.set_title(f"MLP source probe: embedding {100 * probes['features']['mean']:.1f} %, "
                     f"\ncentre distances alone {100 * probes['centre_distances']['mean']:.1f} % "
                     f"(chance 50 %)", fontsize=9)
        ax.set_xlabel("distance to the garment's class centre (standardised embedding)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="*", default=[],
                        help="training-run or export folders (default: the published preset)")
    parser.add_argument("--splits", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30, help="MLP probe training epochs")
    parser.add_argument("--out", default=None, help="write the numbers as JSON here")
    parser.add_argument("--picture", default=None, help="draw the widths (PNG) here")
    parser.add_argument("--labels", nargs="*", default=None,
                        help="the picture's title of each model (default: its name)")
    args = parser.parse_args()
    if args.splits < 1 or args.epochs < 1:
        parser.error("--splits and --epochs must be >= 1")
    if args.labels is not None and len(args.labels) != len(args.runs or [None]):
        parser.error(f"--labels needs one title per model ({len(args.runs or [None])}), "
                     f"got {len(args.labels)}")

    import advzoo
    from advzoo import data as adata
    from advzoo.models.dann.dann_presets import forget_arrays
    from research.probe_splits.probe_splits import load_run

    x, y, source = forget_arrays("test")
    images = adata.to_float(x)
    results, printable = {}, {}
    for run in args.runs or [None]:
        try:
            model, name, _ = (load_run(run) if run else
                              (advzoo.load("forget_fashion_mnist"), "forget_fashion_mnist", None))
        except FileNotFoundError as error:
            parser.error(str(error))
        features = model.features(images)
        widths = class_widths(features, y, source)
        probes = width_probes(features, y, source, args.splits, args.epochs)
        title = args.labels[len(results)] if args.labels else name
        results[title] = {"widths": widths, "probes": probes, "source": source}
        printable[name] = {"widths": {k: v for k, v in widths.items() if k != "distance"},
                           "probes": probes}
        print(json.dumps({name: printable[name]}), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(printable, indent=1))
    if args.picture:
        draw(results, args.picture)
        print(f"wrote {args.picture}")


if __name__ == "__main__":
    main()
