"""Sample and reconstruction grids of the BiGAN preset: G(z) for 100 latent
draws, and test images x (odd rows) above their reconstructions G(E(x))
(even rows).

Usage:
    python -m research.pictures.bigan_grids --out-dir docs
"""

import argparse
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.utils.images import save_grid


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="bigan_fashion_mnist")
    parser.add_argument("--out-dir", default="docs")
    args = parser.parse_args()
    model = advzoo.load(args.name)
    out = Path(args.out_dir)
    save_grid(model.generate(100, seed=0), out / f"{args.name}_samples.png", nrow=10)
    x, _ = adata.load("fashion_mnist", "test")
    x = adata.to_float(x[np.random.default_rng(0).choice(len(x), 50, replace=False)])
    rec = model.reconstruct(x)
    rows = np.concatenate([np.stack([x[i:i + 10], rec[i:i + 10]]) for i in range(0, 50, 10)])
    save_grid(rows.reshape(-1, *x.shape[1:]), out / f"{args.name}_reconstructions.png", nrow=10)
    print(f"wrote {out / (args.name + '_samples.png')} and "
          f"{out / (args.name + '_reconstructions.png')}")


if __name__ == "__main__":
    main()
