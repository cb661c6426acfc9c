"""Style/content grid of the semi-supervised AAE preset: each row takes one
test image (first column), encodes its style z, and decodes that style with
each of the ten class labels (columns 2-11: T-shirt ... ankle boot). If the
model separates style from class, a row keeps thickness, brightness and
width while the garment type changes across the row.

Usage:
    python -m research.pictures.aae_style_grid --out docs/img/aae_semisupervised_style_grid.png
"""

import argparse

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.utils.images import save_grid


def style_grid(model, images):
    """`(rows * 11, h, w, c)`: each real image followed by its style decoded
    with labels 0..9."""
    _, z = model.encode(images)
    num_classes = model.categories
    decoded = model.decode(np.repeat(z, num_classes, axis=0),
                           labels=np.tile(np.arange(num_classes), len(images)))
    decoded = decoded.reshape(len(images), num_classes, *images.shape[1:])
    return np.concatenate([images[:, None], decoded], axis=1).reshape(-1, *images.shape[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="aae_semisupervised_fashion_mnist")
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--out", default="docs/img/aae_semisupervised_style_grid.png")
    args = parser.parse_args()
    model = advzoo.load(args.name)
    x, _ = adata.load("fashion_mnist", "test")
    pick = np.random.default_rng(0).choice(len(x), args.rows, replace=False)
    grid = style_grid(model, adata.to_float(x[pick]))
    save_grid(grid, args.out, nrow=model.categories + 1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
