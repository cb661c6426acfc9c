"""Recipes: the exact, typed description of how a preset is built and trained.

A recipe is a YAML file in `zoo_configs/` (one per registered name). Malformed
files raise `RecipeError` naming the file, the key and what was expected.
"""

import copy
import weakref
from pathlib import Path

import yaml

REQUIRED = {"name": str, "family": str, "description": str}
SECTIONS = ("model", "compile", "data", "train", "evaluate", "export")
OPTIONAL_STR = ("paper", "dataset", "notes")


class RecipeError(ValueError):
    """A recipe file is missing, unreadable or malformed."""


def read_recipe(path):
    """Reads and validates a recipe YAML file; returns a plain dict."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"Recipe file {path} does not exist. Pass a path to a "
                          "zoo_configs/<name>.yaml file (see `advzoo list`).")
    try:
        recipe = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise RecipeError(f"{path} is not valid YAML: {e}") from e
    return validate_recipe(recipe, source=str(path))


def validate_recipe(recipe, source="<recipe>"):
    """Checks the types of a recipe dict and fills empty sections."""
    if not isinstance(recipe, dict):
        raise RecipeError(f"{source}: a recipe must be a mapping, got {type(recipe).__name__}.")
    for key, typ in REQUIRED.items():
        if not isinstance(recipe.get(key), typ):
            raise RecipeError(f"{source}: key {key!r} must be a {typ.__name__}, "
                              f"got {recipe.get(key)!r}.")
    for key in OPTIONAL_STR:
        if key in recipe and not isinstance(recipe[key], str):
            raise RecipeError(f"{source}: key {key!r} must be a string.")
    recipe = copy.deepcopy(recipe)
    for section in SECTIONS:
        value = recipe.setdefault(section, {})
        if value is None:
            recipe[section] = value = {}
        if not isinstance(value, dict):
            raise RecipeError(f"{source}: section {section!r} must be a mapping of "
                              f"settings, got {type(value).__name__}.")
    unknown = set(recipe) - set(REQUIRED) - set(SECTIONS) - set(OPTIONAL_STR)
    if unknown:
        raise RecipeError(f"{source}: unknown top-level keys {sorted(unknown)}; "
                          f"allowed: {sorted(set(REQUIRED) | set(SECTIONS) | set(OPTIONAL_STR))}.")
    train = recipe["train"]
    for key in ("epochs", "batch_size"):
        if key in train and (isinstance(train[key], bool) or not isinstance(train[key], int)
                             or train[key] < 1):
            raise RecipeError(f"{source}: train.{key} must be a positive integer, "
                              f"got {train[key]!r}.")
    return recipe


# The recipe each built model came from (weakly held), so that a loaded or
# trained model can be saved as a preset without repeating its recipe.
_BUILT_FROM = weakref.WeakKeyDictionary()


def attach(model, recipe):
    """Records that `model` was built from `recipe`."""
    _BUILT_FROM[model] = copy.deepcopy(recipe)
    return model


def recipe_of(model):
    """The recipe `model` was built from by advzoo, or None."""
    recipe = _BUILT_FROM.get(model)
    return copy.deepcopy(recipe) if recipe is not None else None


# Settings that do not change what a checkpoint holds: a resumed run may differ in them.
RESUMABLE_CHANGES = ("name", "description", "paper", "dataset", "notes", "train.epochs",
                     "evaluate", "export")


def _flatten(value, prefix=""):
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def recipe_differences(old, new, ignore=RESUMABLE_CHANGES):
    """`{dotted key: (old value, new value)}` of the settings two recipes
    disagree on, leaving out `ignore` (keys or whole sections)."""
    a, b = _flatten(old), _flatten(new)

    def ignored(key):
        return any(key == i or key.startswith(i + ".") for i in ignore)

    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
            if not ignored(k) and a.get(k) != b.get(k)}
