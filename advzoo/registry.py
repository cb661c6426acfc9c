"""The registry: a name resolves to a family (architecture, losses, data,
evaluation) plus a recipe. Presets are registered by dropping a recipe file
in `zoo_configs/`; families register themselves with `register_family`.
"""

import difflib
from dataclasses import dataclass
from typing import Callable, Optional

from advzoo import _paths
from advzoo.recipes import read_recipe


@dataclass
class Family:
    """How to build, feed, evaluate and show one model family.

    Attributes:
        name: family key used by recipes (`family: dcgan`).
        build: `build(recipe) -> uncompiled keras.Model`.
        compile: `compile(model, recipe) -> None`.
        train_data: `train_data(recipe) -> (dataset, steps_per_epoch or None)`.
        evaluate: `evaluate(model, recipe, **options) -> dict of metrics`.
        samples: optional `samples(model, n, seed) -> images in [-1, 1]` for grids.
        callbacks: optional `callbacks(recipe, steps_per_epoch) -> [callback]`
            that training needs (e.g. a schedule).
    """

    name: str
    build: Callable
    compile: Callable
    train_data: Callable
    evaluate: Callable
    samples: Optional[Callable] = None
    callbacks: Optional[Callable] = None


_FAMILIES = {}


def register_family(family):
    _FAMILIES[family.name] = family
    return family


def get_family(name):
    _import_families()
    if name not in _FAMILIES:
        raise ValueError(f"Unknown model family {name!r}; known families: {sorted(_FAMILIES)}.")
    return _FAMILIES[name]


def _import_families():
    import advzoo.models  # noqa: F401  (registers the built-in families)


def recipe_paths():
    return {p.stem: p for p in sorted(_paths.config_dir().glob("*.yaml"))}


def get_recipe(name):
    """Returns the validated recipe dict of a registered name."""
    paths = recipe_paths()
    if name not in paths:
        close = difflib.get_close_matches(name, list(paths), n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown model {name!r}.{hint} Available: {sorted(paths)} "
                         "(`advzoo.list_models()`).")
    recipe = read_recipe(paths[name])
    if recipe["name"] != name:
        raise ValueError(f"{paths[name]} declares name {recipe['name']!r}; it must match "
                         f"its file name {name!r}.")
    return recipe
