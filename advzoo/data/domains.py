"""Domains synthesised from Fashion-MNIST, deterministically and offline.

* `fashion_mnist_m` -- garments blended with colour textures the way MNIST-M
  was made from MNIST (Ganin et al. 2016): each output pixel is
  `|texture patch - garment|` per channel. Textures are crops of photos that
  ship inside scikit-image (`skimage/data/*.png`, lossless, so decoding is
  bit-exact everywhere) and procedural textures (coloured gratings and smooth
  noise). Target-train and target-test draw from *disjoint* texture pools.
* `colored_fashion_mnist` -- garments tinted with a colour that predicts the
  class in training (a spurious cue, as in Colored MNIST, Arjovsky et al. 2019)
  and points to a *different* class at test.

The garments behind each domain come from disjoint parts of Fashion-MNIST
(`DOMAIN_SPLITS`), so a source model never sees a target garment. Every array
is generated with a fixed seed, verified against a recorded sha256 and cached
under `ADVZOO_DATA_CACHE_DIR` (default `<ADVZOO_CACHE_DIR>/data`, written
atomically).
"""

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

import numpy as np

from advzoo import _paths
from advzoo.data.fashion_mnist import DataIntegrityError, load_fashion_mnist

VERSION = 1
# Which Fashion-MNIST images feed which domain split (train indices unless noted).
DOMAIN_SPLITS = {
    "source_train": ("train", 0, 25000),
    "source_validation": ("train", 25000, 30000),
    "target_train": ("train", 30000, 55000),
    "target_validation": ("train", 55000, 60000),
    "target_test": ("test", 0, 10000),
}
# colored_fashion_mnist split -> (Fashion-MNIST split, start, stop)
COLOURED_SPLITS = {"train": ("train", 0, 50000), "validation": ("train", 50000, 60000),
                   "test": ("test", 0, 10000), "probe": ("test", 0, 10000)}
# Photos from scikit-image's bundled data; greyscale ones are tinted per patch.
TEXTURE_POOLS = {
    "train": ("astronaut.png", "coffee.png", "motorcycle_left.png", "brick.png", "grass.png"),
    "test": ("chelsea.png", "ihc.png", "color.png", "gravel.png", "coins.png"),
}
TEXTURE_SHA256 = {
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "motorcycle_left.png": "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "grass.png": "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "ihc.png": "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
    "color.png": "7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e",
    "gravel.png": "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    "coins.png": "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
}
# sha256 of the generated (images, labels, nuisance) arrays, per dataset and split.
GENERATED_SHA256 = {
    ("fashion_mnist_m", "train"): "6ae123d063f56433993d16e39ec3c8f401e4ba22e6943e7748ad9ea88270f2fc",  # noqa: E501
    ("fashion_mnist_m", "validation"): "8aa4def4fe8cf85fde3f0901ee0db8ee929f5dcca29c8d9e5d55005a77c7020f",  # noqa: E501
    ("fashion_mnist_m", "test"): "87cb24954d0b1a53d29a0356034314264a5038b41cb9a4c7d756a800f1d70ff3",  # noqa: E501
    ("colored_fashion_mnist", "train"): "fc5f10ac69b53e14cb8f57a93819215d8125d54b2cd4b9d2321b2b56de3e2ccd",  # noqa: E501
    ("colored_fashion_mnist", "validation"): "cf15a055f5dfd1985c6b119a90274373fcaafb3e4205b87b890311192e81384a",  # noqa: E501
    ("colored_fashion_mnist", "test"): "ce10175fc904bfc8b6ca8abbc54f4301239ebf64ce0e0bbb645bf02e850b6458",  # noqa: E501
    ("colored_fashion_mnist", "probe"): "8b23c27dd79d305c861f2f6f3eb5b5e4c07ef7ef0e154559c40fd5081501a8e7",  # noqa: E501
}

COLORS = np.array([  # one colour per class (matplotlib's tab10 palette)
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
], dtype=np.float32)


def _texture_dir():
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "fashion_mnist_m is built from photos shipped with scikit-image; install it "
            "with `pip install scikit-image` (advzoo's setup installs it).")
    return Path(spec.origin).parent / "data"


def _load_photo(name):
    from PIL import Image

    path = _texture_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"Texture photo {path} is missing from scikit-image's data.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != TEXTURE_SHA256[name]:
        raise DataIntegrityError(
            f"Texture photo {path} has sha256 {digest[:12]}… but fashion_mnist_m v{VERSION} "
            f"was defined with {TEXTURE_SHA256[name][:12]}…; its content differs in this "
            "scikit-image version, so the domain would not be the published one.")
    image = Image.open(path)
    grey = image.mode in ("L", "I;16")
    return np.asarray(image.convert("L" if grey else "RGB"), dtype=np.float32), grey


def _procedural(rng, size=28):
    """A random colour texture: oriented gratings plus smooth noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.zeros((size, size, 3), np.float32)
    for _ in range(rng.integers(1, 4)):
        theta, freq = rng.uniform(0, np.pi), rng.uniform(0.1, 0.5)
        wave = np.sin(freq * (np.cos(theta) * xx + np.sin(theta) * yy) + rng.uniform(0, 6.3))
        out += wave[..., None] * rng.uniform(-1, 1, 3)[None, None, :]
    coarse = rng.normal(size=(4, 4, 3)).astype(np.float32)
    out += np.kron(coarse, np.ones((7, 7, 1), np.float32)) * 0.5
    out = (out - out.min()) / (out.max() - out.min() + 1e-6)
    return out * 255.0


def _textures(pool, n, rng, procedural_fraction=0.2):
    photos = [_load_photo(name) for name in TEXTURE_POOLS[pool]]
    patches = np.empty((n, 28, 28, 3), np.float32)
    for i in range(n):
        if rng.random() < procedural_fraction:
            patches[i] = _procedural(rng)
            continue
        photo, grey = photos[rng.integers(len(photos))]
        scale = int(rng.choice([1, 1, 2]))  # mostly native resolution, as MNIST-M
        h, w = photo.shape[0] // scale, photo.shape[1] // scale
        y, x = rng.integers(0, h - 28), rng.integers(0, w - 28)
        crop = photo[y * scale:(y + 28) * scale:scale, x * scale:(x + 28) * scale:scale]
        if grey:
            tint = rng.uniform(0.3, 1.0, 3).astype(np.float32)
            crop = crop[..., None] * tint[None, None, :]
        patches[i] = crop
    return patches


def _garments(split):
    source, start, stop = DOMAIN_SPLITS[split]
    images, labels = load_fashion_mnist(source)
    return images[start:stop], labels[start:stop]


def _make_fashion_mnist_m(split):
    domain_split = {"train": "target_train", "validation": "target_validation",
                    "test": "target_test"}[split]
    images, labels = _garments(domain_split)
    out = texture_garments(images, "test" if split == "test" else "train",
                           {"train": 101, "validation": 102, "test": 103}[split])
    return out, labels, np.ones(len(labels), np.int64)


def texture_garments(images, pool="train", seed=0):
    """Blends greyscale garments with colour textures the way `fashion_mnist_m`
    is made: `|texture patch - garment|` per channel, one random patch per image.

    `fashion_mnist_m` itself is this function on its garments (seeds 101-103);
    with other garments or seeds it gives *counterfactual* textured versions of
    any Fashion-MNIST image -- e.g. the textured twin of a clean training garment.

    Args:
        images: uint8 `(N, 28, 28)` greyscale garments.
        pool: `"train"` or `"test"`: which (disjoint) texture pool to draw from.
        seed: seed of the patches.

    Returns:
        uint8 `(N, 28, 28, 3)`.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"texture_garments expects greyscale garments (N, 28, 28), "
                         f"got shape {images.shape}.")
    if pool not in TEXTURE_POOLS:
        raise ValueError(f"pool must be one of {sorted(TEXTURE_POOLS)}, got {pool!r}.")
    patches = _textures(pool, len(images), np.random.default_rng(seed))
    blended = np.abs(patches - images[..., None].astype(np.float32))
    return np.clip(np.round(blended), 0, 255).astype(np.uint8)


def _make_colored(split, correlation=0.9):
    """Tints garments; the colour index is the nuisance attribute."""
    domain = COLOURED_SPLITS[split]
    images, labels = load_fashion_mnist(domain[0])
    images, labels = images[domain[1]:domain[2]], labels[domain[1]:domain[2]]
    rng = np.random.default_rng({"train": 201, "validation": 202, "test": 203, "probe": 204}[split])
    n = len(labels)
    random_colour = rng.integers(0, 10, n)
    if split in ("train", "validation"):  # the cue agrees with the class
        colour = np.where(rng.random(n) < correlation, labels, random_colour)
    elif split == "test":  # reversed: the cue points to the next class
        colour = np.where(rng.random(n) < correlation, (labels + 1) % 10, random_colour)
    else:  # probe: colour independent of the class
        colour = random_colour
    jitter = rng.uniform(0.85, 1.15, (n, 1, 1, 3)).astype(np.float32)
    rgb = images[..., None].astype(np.float32) / 255.0 * COLORS[colour][:, None, None, :] * jitter
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8), labels, colour.astype(np.int64)


_MAKERS = {
    "fashion_mnist_m": (_make_fashion_mnist_m, ("train", "validation", "test")),
    "colored_fashion_mnist": (_make_colored, ("train", "validation", "test", "probe")),
}


def _digest(images, labels, nuisance):
    h = hashlib.sha256()
    for a in (images, labels.astype(np.int64), nuisance.astype(np.int64)):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def load_domain(name, split="train", return_nuisance=False):
    """Loads a synthesised domain, generating and caching it on first use.

    Args:
        name: `"fashion_mnist_m"` or `"colored_fashion_mnist"`.
        split: `fashion_mnist_m`: `"train"`, `"validation"`, `"test"`;
            `colored_fashion_mnist`: also `"probe"` (colour independent of class).
        return_nuisance: also return the nuisance attribute per image (the
            domain id 1 for fashion_mnist_m; the colour index for colored).

    Returns:
        `(images uint8 (N, 28, 28, 3), labels int64 (N,))`, plus `nuisance`
        when asked.
    """
    maker, splits = _MAKERS[name]
    if split not in splits:
        raise ValueError(f"{name} has splits {list(splits)}, got {split!r}.")
    path = _paths.data_cache_dir() / f"{name}-v{VERSION}-{split}.npz"
    expected = GENERATED_SHA256.get((name, split))
    arrays = None
    if path.exists():
        try:
            with np.load(path) as f:
                arrays = (f["images"], f["labels"], f["nuisance"])
            if expected and _digest(*arrays) != expected:
                arrays = None  # a stale or damaged cache entry: rebuild it
        except (OSError, ValueError, KeyError, EOFError):
            arrays = None
    if arrays is None:
        arrays = maker(split)
        digest = _digest(*arrays)
        if expected and digest != expected:
            raise DataIntegrityError(
                f"Generated {name}/{split} has sha256 {digest[:12]}… instead of "
                f"{expected[:12]}…; the Fashion-MNIST or texture sources differ.")
        _atomic_save(path, arrays)
    return arrays if return_nuisance else arrays[:2]


def _atomic_save(path, arrays):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, images=arrays[0], labels=arrays[1], nuisance=arrays[2])
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs regeneration time
        pass


def to_rgb(images):
    """Greyscale images `(N, H, W)` or `(N, H, W, 1)` -> `(N, H, W, 3)`, any dtype:
    the explicit conversion that puts Fashion-MNIST next to 3-channel domains."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[-1] == 3:
        return images
    if images.shape[-1] != 1:
        raise ValueError(f"to_rgb expects 1-channel images, got shape {images.shape}.")
    return np.repeat(images, 3, axis=-1)
