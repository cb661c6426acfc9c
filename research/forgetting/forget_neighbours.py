"""Nearest neighbours in the embedding of a model that forgot the image source,
next to a plain classifier's (the Zalando seed's picture): each row is a query
(left, framed) and its nearest neighbours among clean *and* textured test
garments. A plain embedding finds neighbours from the query's own source; one
that has forgotten the source mixes them.

Usage:
    python -m research.forgetting.forget_neighbours                       # the published preset
    python -m research.forgetting.forget_neighbours --baseline-run runs/forget_baseline
"""

import argparse
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.models.dann.dann_presets import forget_arrays


from advzoo.metrics.probes import nearest_neighbours, neighbour_agreement


def panel(images, source, features, queries, k):
    idx = nearest_neighbours(features, queries, k)
    rows = []
    for q, nn in zip(queries, idx):
        tiles = [images[q]] + [images[j] for j in nn]
        frame = np.zeros((32, 32 * len(tiles) + 8, 3), np.uint8)
        for t, img in enumerate(tiles):
            x0 = 2 + 32 * t + (8 if t else 0)
            colour = (255, 255, 255) if t == 0 else ((60, 200, 60) if source[nn[t - 1]] !=
                                                    source[q] else (90, 90, 90))
            frame[0:32, x0 - 2:x0 + 30] = colour  # green border: neighbour from the other source
            frame[2:30, x0:x0 + 28] = img
        rows.append(frame)
    return np.concatenate(rows, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="forget model weights (default: preset)")
    parser.add_argument("--baseline-run", default=None,
                        help="run directory of the same recipe trained with adversary: none")
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--queries", type=int, default=6)
    parser.add_argument("--out", default="docs/img/forget_neighbours.png")
    args = parser.parse_args()

    from PIL import Image

    x, y, source = forget_arrays("test")
    models = {"forget": advzoo.load("forget_fashion_mnist",
                                    weights=args.weights or "pretrained")}
    if args.baseline_run:
        import json

        from advzoo.presets import load_weights
        from advzoo.training import build_model

        run = Path(args.baseline_run)
        plain = build_model(json.loads((run / "recipe.json").read_text()))
        load_weights(plain, run / "final.weights.h5", what=str(run))
        models = {"plain": plain, **models}
    rng = np.random.default_rng(1)
    queries = np.r_[rng.choice(np.flatnonzero(source == 0), args.queries // 2, replace=False),
                    rng.choice(np.flatnonzero(source == 1), args.queries - args.queries // 2,
                               replace=False)]
    panels = []
    for name, model in models.items():
        feats = model.features(adata.to_float(x))
        share = neighbour_agreement(feats, source)
        print(f"{name}: {100 * share:.1f}% of 10 nearest neighbours share the query's source "
              "(50% = source forgotten)")
        panels.append(panel(x, source, feats, queries, args.k))
    gap = np.full((panels[0].shape[0], 16, 3), 255, np.uint8)
    picture = np.concatenate(sum([[p, gap] for p in panels], [])[:-1], 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).resize((picture.shape[1] * 2, picture.shape[0] * 2),
                                    Image.NEAREST).save(args.out)
    print(f"wrote {args.out} (left to right: {', '.join(models)})")


if __name__ == "__main__":
    main()
