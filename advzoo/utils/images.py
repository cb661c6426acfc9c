"""Image grids and plots written as PNG files."""

import os
from pathlib import Path

import numpy as np

from advzoo.data.pipelines import to_uint8


def make_grid(images, nrow=None, pad=2, pad_value=255):
    """Tiles images `(N, H, W[, C])` (float [-1, 1] or uint8) into one uint8 array."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    if images.ndim == 3:
        images = images[..., None]
    n, h, w, c = images.shape
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    ncol = int(np.ceil(n / nrow))
    grid = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad, c), pad_value, np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, nrow)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h,
             pad + col * (w + pad): pad + col * (w + pad) + w] = img
    return grid


def save_grid(images, path, nrow=None, scale=2):
    """Writes a PNG grid of `images`; parent directories are created."""
    from PIL import Image

    grid = make_grid(images, nrow=nrow)
    img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    img.save(tmp)
    os.replace(tmp, path)
    return path


def plot_history(history, path, title=None):
    """Plots every logged series of a `{name: [values per epoch]}` dict to PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k, v in history.items() if len(v) and np.isfinite(np.asarray(v, float)).any()]
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(3.2 * max(1, len(keys)), 2.8))
    axes = np.atleast_1d(axes)
    for ax, key in zip(axes, keys):
        ax.plot(np.arange(1, len(history[key]) + 1), history[key], marker=".")
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
    return save_figure(fig, path, title)


def save_figure(fig, path, title=None):
    """Titles, lays out and writes a matplotlib figure to PNG, then closes it."""
    import matplotlib.pyplot as plt

    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")  # renamed into place: never a partial file
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)
    return path
