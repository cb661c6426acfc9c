"""What the intensity augmentation of domain adaptation shows the network:
one clean source garment per class (top row), three random augmentations of
each (`advzoo.models.dann.dann_augment.intensity_augment`, clipped to
[-1, 1] for display), and a textured Fashion-MNIST-M *test* garment of the
same class (bottom row; the network never sees those textures in training).

Usage:
    python -m research.pictures.augmentation_picture --out docs/img/dann_augmentation.png
"""

import argparse

import numpy as np


from advzoo import data as adata
from advzoo.models.dann.dann_presets import source_domain


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/dann_augmentation.png")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    from advzoo.models.dann.dann_augment import intensity_augment
    from advzoo.utils.images import save_grid

    xs, ys = source_domain("train")
    xt, yt = adata.load("fashion_mnist_m", "test")
    source = adata.to_float(np.stack([xs[np.flatnonzero(ys == c)[0]] for c in range(10)]))
    target = adata.to_float(np.stack([xt[np.flatnonzero(yt == c)[0]] for c in range(10)]))
    seed = keras.random.SeedGenerator(args.seed)
    rows = [source] + [np.clip(np.asarray(intensity_augment(source, seed)), -1, 1)
                       for _ in range(args.draws)] + [target]
    path = save_grid(np.concatenate(rows), args.out, nrow=10, scale=3)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
