"""The registry: a name resolves to a recipe (`zoo_configs/<name>.yaml`) and
a family (`advzoo/models/<family>/`, which declares `FAMILY`).

Presets are registered by dropping a recipe file in the config directory;
families are found by name, importing their folder only when asked for, so
listing and describing models never imports TensorFlow. Paths go one way:
the registry imports families, never the reverse.
"""

import difflib
import importlib
import pkgutil
import re

from advzoo import _paths
from advzoo.family import Family
from advzoo.recipes import read_recipe

_FAMILY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def builtin_families():
    """Names of advzoo's own families (the folders of `advzoo/models/`)."""
    return sorted(m.name for m in pkgutil.iter_modules([str(_paths.PACKAGE_DIR / "models")])
                  if m.ispkg)


def get_family(name):
    """The `Family` a recipe's `family:` names: a folder of `advzoo/models/`,
    or the dotted path of a module outside advzoo that defines `FAMILY`."""
    if not isinstance(name, str) or not _FAMILY_NAME.fullmatch(name):
        raise ValueError(f"A family name must be an identifier or a dotted module path, got "
                         f"{name!r}; advzoo's families: {builtin_families()}.")
    module_name = name if "." in name else f"advzoo.models.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is None or not module_name.startswith(e.name):
            raise  # the family exists but one of its own imports is missing
        close = difflib.get_close_matches(name, builtin_families(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown model family {name!r}.{hint} advzoo's families: "
                         f"{builtin_families()}; a family of your own is a module path "
                         "whose module defines FAMILY = advzoo.family.Family(...).") from None
    family = getattr(module, "FAMILY", None)
    if not isinstance(family, Family):
        raise ValueError(f"{module_name} does not define FAMILY = advzoo.family.Family(...), "
                         "so it cannot be used as a model family.")
    return family


def recipe_paths():
    """`{name: path}` of every registered recipe."""
    return {p.stem: p for p in sorted(_paths.config_dir().glob("*.yaml"))}


def suggest(name, names):
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.4)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def get_recipe(name):
    """Returns the validated recipe dict of a registered name."""
    paths = recipe_paths()
    if name not in paths:
        raise ValueError(f"Unknown model {name!r}.{suggest(name, paths)} Available: "
                         f"{sorted(paths)} (`advzoo.list_models()`; recipes are read from "
                         f"{_paths.config_dir()}).")
    recipe = read_recipe(paths[name])
    if recipe["name"] != name:
        raise ValueError(f"{paths[name]} declares name {recipe['name']!r}; it must match "
                         f"its file name {name!r}.")
    return recipe
