"""The public entry points: `list_models`, `info`, `load`."""

from pathlib import Path

from advzoo import presets
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
           "pretrained": entry is not None, "recipe": recipe}
    if entry is not None:
        weights = entry["files"][presets.WEIGHTS_FILE]
        out.update({"metrics": entry["metrics"], "sha256": weights["sha256"],
                    "size": weights["size"], "train_seconds": entry.get("train_seconds"),
                    "epochs": entry.get("epochs"), "versions": entry.get("versions"),
                    "recipe": entry["recipe"], "reproduce": entry.get("reproduce")})
    return out


def load(name, weights="pretrained", strategy=None, progress=True):
    """Builds a registered model, compiled, with pretrained weights.

    The weights file also holds every optimizer's state, so `model.fit`
    continues (fine-tunes) from where the published training stopped
    (except presets whose recipe says `export: {optimizer_state: false}`,
    published without it to stay small: their optimizers start fresh).

    Args:
        name: a registered name (`advzoo.list_models()`).
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
    from advzoo.training import build_model

    recipe = get_recipe(name)
    path = None
    if weights == "pretrained":
        recipe = presets.preset_entry(name)["recipe"]
        path = presets.weights_path(name, progress=progress)
    elif weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"weights={str(weights)!r} is not a file. Use "
                                    "'pretrained', None, or a path to a .weights.h5 file.")
    model = build_model(recipe, strategy)
    if path is not None and weights == "pretrained" and not presets.optimizer_state_published(
            recipe):
        presets.load_model_weights_only(model, path, recipe)
    elif path is not None:
        _load_weights(model, path, name)
    return model


def _load_weights(model, path, name):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except (ValueError, KeyError) as e:
            raise ValueError(f"{path} does not fit the architecture of {name!r}: {e}. "
                             "Pass weights saved from this same preset/recipe.") from e
    mismatched = [str(w.message) for w in caught if "Skipping variable loading" in str(w.message)
                  or "mismatch" in str(w.message).lower()]
    if mismatched:
        raise ValueError(f"{path} does not fit the architecture of {name!r}: {mismatched[0]}")
