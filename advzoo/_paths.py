"""Where advzoo finds its recipes, bundled weights, cache and data.

Every location can be overridden with an environment variable, so a user can
point advzoo at a mirror, a shared cache or a read-only data directory without
touching code.
"""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def config_dir():
    """Directory holding one `<preset>.yaml` recipe per registered name."""
    return Path(os.environ.get("ADVZOO_CONFIG_DIR", REPO_ROOT / "zoo_configs"))


def bundled_weights_dir():
    """Directory of weights shipped with the source tree (`weights/`)."""
    return Path(os.environ.get("ADVZOO_BUNDLED_WEIGHTS", REPO_ROOT / "weights"))


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
