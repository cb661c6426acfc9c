"""The public entry points: `list_models`, `info`, `load`, `save_to_preset`.

`load(name)` walks one way: the registry (recipe and family), the family
(networks and game, compiled), the weights store (a verified file), the one
weights loader. `list_models` and `info` read recipes and the manifest only
and never import TensorFlow.
"""

from pathlib import Path

from advzoo import presets
from advzoo.recipes import recipe_of
from advzoo.registry import get_recipe, recipe_paths


def list_models(pretrained=False):
    """Sorted registered names; with `pretrained=True`, only those with weights."""
    names = sorted(recipe_paths())
    if pretrained:
        published = presets.read_manifest()["presets"]
        names = [n for n in names if n in published]
    return names


def info(name):
    """A dict describing a registered model: description, paper, dataset,
    whether weights are published, recorded metrics, sha256, size, recipe."""
    recipe = get_recipe(name)
    entry = presets.read_manifest()["presets"].get(name)
    out = {"name": name, "family": recipe["family"], "description": recipe["description"],
           "paper": recipe.get("paper"), "dataset": recipe.get("dataset"),
           "pretrained": entry is not None, "recipe": recipe, "notes": recipe.get("notes")}
    if entry is not None:
        weights = entry["files"][presets.WEIGHTS_FILE]
        out.update({"metrics": entry["metrics"], "sha256": weights["sha256"],
                    "size": weights["size"], "train_seconds": entry.get("train_seconds"),
                    "epochs": entry.get("epochs"), "versions": entry.get("versions"),
                    "reproduce": entry.get("reproduce")})
    return out


def _is_preset_dir(name):
    """A path (not a registered name): a directory written by save_to_preset."""
    if isinstance(name, Path):
        return True
    return isinstance(name, str) and ("/" in name or name.startswith(".") or (
        name not in recipe_paths() and Path(name).is_dir()))


def build(recipe, strategy=None):
    """Builds and compiles the model a recipe dict describes (random init)."""
    from advzoo.training import build_model

    return build_model(recipe, strategy)


def _bare(recipe):
    """An uncompiled model of `recipe`, to read weights saved without optimizer state."""
    from advzoo.registry import get_family

    return get_family(recipe["family"]).build(recipe)


def load(name, weights="pretrained", strategy=None, progress=True):
    """Builds a registered model, compiled, with pretrained weights.

    The weights file also holds every optimizer's state, so `model.fit`
    continues (fine-tunes) from where the published training stopped
    (except presets whose recipe says `export: {optimizer_state: false}`,
    published without it to stay small: their optimizers start fresh).

    Args:
        name: a registered name (`advzoo.list_models()`), or a preset
            directory written by `advzoo.save_to_preset` (verified against
            its metadata's sha256).
        weights: `"pretrained"` (verified published weights), None (random
            initialisation), or a path to a `.weights.h5` file for this
            architecture.
        strategy: None, `"mirrored"` or a `tf.distribute.Strategy`; the model
            is built and compiled in its scope.
        progress: show a progress bar when weights must be downloaded.

    Returns:
        A compiled `keras.Model`.

    Example:
    >>> model = advzoo.load("dcgan_fashion_mnist")
    >>> images = model.generate(16, seed=0)
    """
    if _is_preset_dir(name):
        return _load_preset_dir(Path(name), weights, strategy)
    recipe = get_recipe(name)
    path, bare = None, None
    if weights == "pretrained":
        path = presets.weights_path(name, progress=progress)
        if not presets.optimizer_state_published(recipe):
            bare = _bare(recipe)
    elif weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"weights={str(weights)!r} is not a file. Use "
                                    "'pretrained', None, or a path to a .weights.h5 file.")
    model = build(recipe, strategy)
    if path is not None:
        from advzoo.training import keeping_learning_rates

        # the recipe's learning rates, not those a weights file was trained with
        keeping_learning_rates(model, lambda: presets.load_weights(model, path, bare=bare,
                                                                     what=repr(name)))
    return model


def _load_preset_dir(directory, weights, strategy):
    if weights != "pretrained":
        raise ValueError(f"A preset directory carries its own weights; load({str(directory)!r}) "
                         f"takes no weights= argument (got {weights!r}).")
    metadata, path = presets.read_preset_dir(directory)
    recipe = metadata["recipe"]
    model = build(recipe, strategy)
    bare = None if metadata.get("optimizer_state", True) else _bare(recipe)
    presets.load_weights(model, path, bare=bare, what=str(directory))
    return model


def save_to_preset(model, directory, recipe=None, metrics=None, optimizer_state=True):
    """Saves a model as a preset directory in keras-hub's layout:
    `config.json`, `model.weights.h5` and `metadata.json` (the recipe,
    metrics, versions and the sha256 of both files).

    `advzoo.load(directory)` and `<Family>.from_preset(directory)` read it
    back, verified, with identical outputs and (with `optimizer_state`) the
    optimizers' state, so fine-tuning continues where it stopped.

    Args:
        model: a model from `advzoo.load` or `advzoo train` (its recipe is
            known), or any advzoo model together with `recipe`.
        directory: the preset directory to write (replaced as one unit).
        recipe: the recipe dict the model was built from; default: the one it
            was loaded or trained from. Its `name` names the preset.
        metrics: optional dict of measured metrics to record.
        optimizer_state: also save every optimizer's state.

    Returns:
        The metadata dict.

    Example:
    >>> model = advzoo.load("dcgan_fashion_mnist")
    >>> model.fit(my_images, epochs=1)
    >>> advzoo.save_to_preset(model, "my_dcgan")
    >>> again = advzoo.load("./my_dcgan")
    """
    recipe = recipe or recipe_of(model)
    if recipe is None:
        raise ValueError("save_to_preset needs the recipe this model was built from: pass "
                         "recipe=... (models from advzoo.load or advzoo train know theirs).")
    bare = None if optimizer_state else _bare(recipe)
    return presets.save_preset_dir(model, directory, recipe, metrics=metrics, bare=bare)
