"""Where advzoo finds its recipes, manifest, weights, cache and data.

advzoo runs from a source checkout or from an installed wheel:

* in a checkout, recipes are `zoo_configs/` and the manifest and weights are
  `weights/`, next to the package;
* an installed wheel carries the recipes and the manifest as package data
  (`advzoo/_packaged/`, copied there by the build from those same folders),
  and finds the weights files in the cache, in a local directory
  (`ADVZOO_WEIGHTS_DIR`), in the separate `advzoo-weights` distribution, or
  downloads them from `ADVZOO_WEIGHTS_URL`.

Every location can be overridden with an environment variable (see
`docs/guides/weights.md`), so a user can point advzoo at a mirror, a shared
cache or a read-only data directory without touching code. Nothing here
imports TensorFlow.
"""

import importlib.util
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
PACKAGED_DIR = PACKAGE_DIR / "_packaged"
WEIGHTS_PACKAGE = "advzoo_weights"


def in_checkout():
    """True when advzoo runs from a source checkout (recipes next to the package)."""
    return (REPO_ROOT / "zoo_configs").is_dir() and (REPO_ROOT / "setup.cfg").is_file()


def config_dir():
    """Directory holding one `<preset>.yaml` recipe per registered name
    (`ADVZOO_CONFIG_DIR`, else the checkout's `zoo_configs/`, else the copy
    packaged inside the wheel)."""
    user = os.environ.get("ADVZOO_CONFIG_DIR")
    if user:
        return Path(user)
    return REPO_ROOT / "zoo_configs" if in_checkout() else PACKAGED_DIR / "zoo_configs"


def manifest_file():
    """The manifest that pins every published file (`ADVZOO_MANIFEST`, else the
    checkout's `weights/manifest.json`, else the packaged copy)."""
    user = os.environ.get("ADVZOO_MANIFEST")
    if user:
        return Path(user)
    return REPO_ROOT / "weights" / "manifest.json" if in_checkout() \
        else PACKAGED_DIR / "manifest.json"


def checkout_weights_dir():
    """The checkout's `weights/` directory, or None when running from a wheel."""
    return REPO_ROOT / "weights" if in_checkout() else None


def weights_package_dir():
    """Directory of the installed `advzoo-weights` distribution, or None.
    Found without importing it."""
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def local_weights_dirs():
    """Local directories laid out like `weights/` (`<name>/<file>`), in the
    order they are searched after the cache: `ADVZOO_WEIGHTS_DIR`, the
    checkout's `weights/`, the installed `advzoo-weights` package."""
    dirs = []
    user = os.environ.get("ADVZOO_WEIGHTS_DIR")
    if user:
        dirs.append(("ADVZOO_WEIGHTS_DIR", Path(user)))
    if checkout_weights_dir() is not None:
        dirs.append(("source checkout", checkout_weights_dir()))
    package = weights_package_dir()
    if package is not None:
        dirs.append(("advzoo-weights package", package))
    return dirs


def cache_dir():
    """Per-user cache for downloaded weights (`ADVZOO_CACHE_DIR`)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "advzoo"
    return Path(os.environ.get("ADVZOO_CACHE_DIR", default))


def weights_url():
    """Base URL that serves a copy of `weights/` (`ADVZOO_WEIGHTS_URL`), or None."""
    url = os.environ.get("ADVZOO_WEIGHTS_URL", "").strip()
    return url.rstrip("/") or None


def data_cache_dir():
    """Where synthesised datasets are cached (`ADVZOO_DATA_CACHE_DIR`, default
    `<cache>/data`)."""
    user = os.environ.get("ADVZOO_DATA_CACHE_DIR")
    return Path(user) if user else cache_dir() / "data"
